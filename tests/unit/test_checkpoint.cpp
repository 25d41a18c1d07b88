#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "input_error.h"
#include "scir/core/errors.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/safetensors.h"
#include "scir/tokenizer/byte_tokenizer.h"
#include "tiny_model.h"

namespace scir {
namespace {

using testing_support::input_error;

namespace fs = std::filesystem;
using testing_support::tiny_config;
using testing_support::tiny_model;

std::string temp_path(const std::string& name) {
  const fs::path path = fs::path(::testing::TempDir()) / "scir_checkpoint_tests" / name;
  fs::create_directories(path.parent_path());
  return path.string();
}

// A safetensors file written byte by byte, for the malformed cases.
void write_raw(const std::string& path, const std::string& header, size_t data_bytes,
               int64_t declared_length = -1) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  const uint64_t length = declared_length >= 0 ? declared_length : header.size();
  for (int i = 0; i < 8; ++i) file.put(static_cast<char>(length >> (8 * i)));
  file << header << std::string(data_bytes, '\0');
}

TEST(Safetensors, RoundTripIsBitIdentical) {
  const std::string path = temp_path("round.safetensors");
  const NamedTensors tensors = {{"a", torch::randn({3, 4})},
                                {"b", torch::randn({5}).to(torch::kBFloat16)},
                                {"c", torch::randn({2, 2}).to(torch::kHalf)},
                                {"d", torch::arange(7, torch::kLong)}};
  write_safetensors(path, tensors, {{"format", "pt"}});
  const SafetensorsContents back = read_safetensors(path);
  ASSERT_EQ(back.tensors.size(), 4u);
  for (const auto& [name, tensor] : tensors) {
    EXPECT_EQ(back.tensors.at(name).scalar_type(), tensor.scalar_type()) << name;
    EXPECT_TRUE(torch::equal(back.tensors.at(name), tensor)) << name;
  }
  EXPECT_EQ(back.metadata.at("format"), "pt");
  // Writing what was read gives the same bytes.
  const std::string again = temp_path("round_again.safetensors");
  NamedTensors reread(back.tensors.begin(), back.tensors.end());
  write_safetensors(again, reread, back.metadata);
  std::ifstream first(path, std::ios::binary), second(again, std::ios::binary);
  const std::string first_bytes((std::istreambuf_iterator<char>(first)), {});
  const std::string second_bytes((std::istreambuf_iterator<char>(second)), {});
  EXPECT_EQ(first_bytes, second_bytes);
  EXPECT_EQ((first_bytes[0] | (first_bytes[1] << 8)) % 8, 0);  // header padded to 8 bytes
}

TEST(Safetensors, MalformedFilesAreRejectedWithTheirDefect) {
  const std::string path = temp_path("bad.safetensors");
  const auto error_for = [&](const std::string& header, size_t data, int64_t declared = -1) {
    write_raw(path, header, data, declared);
    return input_error([&] { read_safetensors(path); });
  };
  EXPECT_EQ(error_for("{}", 0, 1000),
            path + ": header length 1000 goes beyond the file of 10 bytes");
  EXPECT_EQ(error_for("{not json", 0), path + ": header is not valid JSON object");
  EXPECT_EQ(error_for(R"({"w":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}})", 4),
            path +
                ": tensor 'w': unknown dtype 'F12' (expected F64, F32, F16, BF16, I64, I32, "
                "I16, I8, U8 or BOOL)");
  EXPECT_EQ(error_for(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4),
            path + ": tensor 'w': data_offsets [0, 8] out of range of the 4 data bytes");
  EXPECT_EQ(error_for(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
            path + ": tensor 'w': shape [3] of F32 needs 12 bytes, data_offsets give 8");
  EXPECT_EQ(error_for(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                      12),
            path + ": tensor 'b' overlaps the tensor before it");
  EXPECT_EQ(error_for(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8),
            path + ": bytes [0, 4) belong to no tensor");
  EXPECT_EQ(error_for(R"({"a":{"dtype":"F32","shape":[1]}})", 4),
            path + ": tensor 'a': expected dtype, shape and data_offsets [begin, end]");
  write_raw(path, "", 0, 0);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "abc";
  EXPECT_EQ(input_error([&] { read_safetensors(path); }),
            path + ": too short for a safetensors header (3 bytes)");
}

TEST(HfCheckpoint, SingleAndShardedRoundTripsAreBitIdentical) {
  ByteTokenizer tokenizer;
  ModelConfig config = tiny_config();
  config.vocab_size = ByteTokenizer::kVocabSize;
  auto model = tiny_model(config);
  for (int64_t shard_bytes : {int64_t{0}, int64_t{4000}}) {
    const std::string directory = temp_path(cat("model_", shard_bytes));
    save_hf_model(directory, *model, tokenizer, torch::kFloat, shard_bytes);
    if (shard_bytes > 0) {
      EXPECT_TRUE(fs::exists(directory + "/model.safetensors.index.json"));
      EXPECT_FALSE(fs::exists(directory + "/model.safetensors"));
      int shards = 0;
      for (const auto& entry : fs::directory_iterator(directory)) {
        shards += entry.path().filename().string().rfind("model-", 0) == 0;
      }
      EXPECT_GT(shards, 2);
      std::ifstream index_file(directory + "/model.safetensors.index.json");
      const auto index = nlohmann::json::parse(index_file);
      EXPECT_EQ(index["weight_map"].size(), model->named_weights().size());
    }
    const LoadedModel loaded = load_hf_model(directory);
    EXPECT_EQ(loaded.tokenizer->vocab_size(), ByteTokenizer::kVocabSize);
    const auto original = model->named_weights();
    for (const auto& [name, weight] : loaded.model->named_weights()) {
      EXPECT_TRUE(torch::equal(weight, original.at(name))) << name;
    }
    std::ifstream config_file(directory + "/config.json");
    const auto json = nlohmann::json::parse(config_file);
    EXPECT_EQ(json["architectures"][0], "LlamaForCausalLM");
    EXPECT_EQ(json["model_type"], "llama");
    EXPECT_EQ(json["num_key_value_heads"], 2);
  }
}

TEST(HfCheckpoint, TruncatedWeightsFailTheCheckWithoutReadingThem) {
  ByteTokenizer tokenizer;
  ModelConfig config = tiny_config();
  config.vocab_size = ByteTokenizer::kVocabSize;
  const std::string directory = temp_path("truncated");
  save_hf_model(directory, *tiny_model(config), tokenizer);
  const std::string weights = directory + "/model.safetensors";
  EXPECT_NO_THROW(check_hf_model(directory));
  EXPECT_NO_THROW(check_safetensors(weights));
  fs::resize_file(weights, fs::file_size(weights) - 10);  // a write cut short
  const std::string message = input_error([&] { check_safetensors(weights); });
  EXPECT_NE(message.find(weights + ": tensor '"), std::string::npos) << message;
  EXPECT_NE(message.find("out of range"), std::string::npos) << message;
  EXPECT_EQ(input_error([&] { check_hf_model(directory); }), message);
}

TEST(HfCheckpoint, HalfPrecisionWeightsConvertToTheRunDtype) {
  ByteTokenizer tokenizer;
  ModelConfig config = tiny_config();
  config.vocab_size = ByteTokenizer::kVocabSize;
  auto model = tiny_model(config);
  const std::string directory = temp_path("model_bf16");
  save_hf_model(directory, *model, tokenizer, torch::kBFloat16);
  const auto raw = read_safetensors(directory + "/model.safetensors");
  EXPECT_EQ(raw.tensors.at("model.norm.weight").scalar_type(), torch::kBFloat16);
  const LoadedModel loaded = load_hf_model(directory, torch::kFloat);
  const auto original = model->named_weights();
  for (const auto& [name, weight] : loaded.model->named_weights()) {
    EXPECT_EQ(weight.scalar_type(), torch::kFloat);
    EXPECT_TRUE(torch::equal(weight, original.at(name).to(torch::kBFloat16).to(torch::kFloat)))
        << name;
  }
}

TEST(HfCheckpoint, MissingUnexpectedAndMisshapenTensorsAreNamed) {
  ByteTokenizer tokenizer;
  ModelConfig config = tiny_config();
  config.vocab_size = ByteTokenizer::kVocabSize;
  auto model = tiny_model(config);
  const std::string directory = temp_path("model_edit");
  const std::string weights = directory + "/model.safetensors";
  const auto rewrite = [&](const std::function<void(std::map<std::string, torch::Tensor>&)>& edit) {
    save_hf_model(directory, *model, tokenizer);
    auto tensors = read_safetensors(weights).tensors;
    edit(tensors);
    write_safetensors(weights, NamedTensors(tensors.begin(), tensors.end()));
    return input_error([&] { load_hf_model(directory); });
  };
  EXPECT_EQ(rewrite([](auto& t) { t.erase("model.norm.weight"); }),
            directory + ": missing tensor 'model.norm.weight'");
  EXPECT_EQ(rewrite([](auto& t) { t["model.extra.weight"] = torch::zeros({2}); }),
            weights + ": unexpected tensor 'model.extra.weight' for LlamaForCausalLM");
  EXPECT_EQ(rewrite([](auto& t) { t["model.norm.weight"] = torch::zeros({3}); }),
            weights + ": tensor 'model.norm.weight' has shape [3], config.json implies [16]");
}

TEST(HfCheckpoint, TokenizerLargerThanTheVocabularyIsRejected) {
  ByteTokenizer tokenizer;
  auto model = tiny_model();  // vocab 40 < 259 byte tokens
  const std::string directory = temp_path("model_vocab");
  save_hf_model(directory, *model, tokenizer);
  EXPECT_EQ(input_error([&] { load_hf_model(directory); }),
            directory + ": tokenizer has 259 tokens but config.json vocab_size is 40");
}

TEST(ModelConfig, ReadsMistralAndRejectsOtherArchitecturesAndInconsistency) {
  nlohmann::json json = {{"architectures", {"MistralForCausalLM"}},
                         {"hidden_size", 4096},
                         {"intermediate_size", 14336},
                         {"num_hidden_layers", 32},
                         {"num_attention_heads", 32},
                         {"num_key_value_heads", 8},
                         {"rms_norm_eps", 1e-5},
                         {"rope_theta", 1000000.0},
                         {"vocab_size", 32000},
                         {"max_position_embeddings", 32768},
                         {"sliding_window", nullptr},
                         {"tie_word_embeddings", false},
                         {"bos_token_id", 1},
                         {"eos_token_id", 2}};
  const ModelConfig mistral = ModelConfig::from_json(json, "config.json");
  EXPECT_EQ(mistral.head_dim, 128);
  EXPECT_EQ(mistral.kv_groups(), 4);
  EXPECT_EQ(mistral.sliding_window, 0);
  EXPECT_EQ(mistral.parameter_count(), 7241732096);  // Mistral-7B-v0.1/0.3 size class
  nlohmann::json other = json;
  other["architectures"] = {"GPT2LMHeadModel"};
  EXPECT_EQ(input_error([&] { ModelConfig::from_json(other, "config.json"); }),
            "config.json: architecture 'GPT2LMHeadModel' is not supported (expected "
            "LlamaForCausalLM or MistralForCausalLM)");
  nlohmann::json uneven = json;
  uneven["num_key_value_heads"] = 5;
  EXPECT_EQ(input_error([&] { ModelConfig::from_json(uneven, "config.json"); }),
            "config.json: num_attention_heads (32) must be a multiple of num_key_value_heads (5)");
  nlohmann::json missing = json;
  missing.erase("vocab_size");
  EXPECT_EQ(input_error([&] { ModelConfig::from_json(missing, "config.json"); }),
            "config.json: missing field 'vocab_size'");
}

}  // namespace
}  // namespace scir
