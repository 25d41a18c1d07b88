// The FLOP count of MFU (perf/model_flops) and the bytes of generation's bandwidth bound
// (perf/decode_traffic) against sums worked out by hand.
#include <gtest/gtest.h>

#include "scir/perf/decode_traffic.h"
#include "scir/perf/model_flops.h"
#include "tiny_model.h"

namespace scir {
namespace {

using testing_support::tiny_config;

// tiny_config: hidden 16, MLP 24, 2 layers, 4 query and 2 key-value heads of 4, vocabulary 40.
// A layer has q and o 16x16 (512), k and v 16x8 (256), the MLP 3x16x24 (1152) and two norms
// (32), 1952 in all; with the final norm (16) and the head (640) N = 2 x 1952 + 16 + 640 = 4560.
TEST(ModelFlops, CountsTheHeadButNotTheEmbeddingLookup) {
  EXPECT_EQ(multiplying_parameters(tiny_config(false)), 4560);
  // Tied: the one copy is the head's, so it is counted.
  EXPECT_EQ(multiplying_parameters(tiny_config(true)), 4560);
}

TEST(ModelFlops, AddsAttentionsProductsToTwoFlopsAParameter) {
  const ModelConfig config = tiny_config();
  // 2 N T + 4 L d T^2 with T = 5, L = 2, d = 4 x 4: 45600 + 3200.
  EXPECT_DOUBLE_EQ(sequence_forward_flops(config, 5), 48800.0);
  EXPECT_DOUBLE_EQ(sequence_training_flops(config, 5), 3 * 48800.0);
  // One token over 7 cached positions: 2 N + 4 L d x 7.
  EXPECT_DOUBLE_EQ(decode_step_flops(config, 7), 9120.0 + 896.0);
}

// A decoding step reads the N multiplying weights once (4560 x 4 bytes in float32, x 2 in
// bfloat16) and each row's keys and values: 2 x 2 layers x 2 key-value heads x 4 x context.
TEST(DecodeTraffic, WeightsOnceAStepAndEachRowsCache) {
  const ModelConfig config = tiny_config();
  EXPECT_DOUBLE_EQ(decode_weight_bytes(config, 4), 18240.0);
  EXPECT_DOUBLE_EQ(decode_weight_bytes(config, 2), 9120.0);
  EXPECT_DOUBLE_EQ(decode_cache_bytes(config, 4, 7), 2 * 2 * 2 * 4 * 7 * 4.0);
}

}  // namespace
}  // namespace scir
