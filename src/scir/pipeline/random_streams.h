// The random streams of an iteration: RngStream::derive(seed, {t, stream, ...}), one stream a
// use, so that a phase rerun after a restart draws what it drew the first time.
#pragma once

#include <cstdint>

namespace scir {

enum IterationStream : uint64_t {
  kStreamGenerate = 1,  // sampling the responses
  kStreamShuffle = 2,   // the pair order of an epoch: {t, 2, epoch, rank}
  kStreamPairs = 3,     // K random pairs of a prompt: {t, 3, prompt}
  kStreamJudge = 4,     // SRLM's sampled judgements
  kStreamLora = 5,      // the LoRA adapters' initial A: {t, 5}
};

}  // namespace scir
