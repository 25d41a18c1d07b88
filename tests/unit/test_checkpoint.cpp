#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
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
            "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM or Qwen3ForCausalLM)");
  nlohmann::json uneven = json;
  uneven["num_key_value_heads"] = 5;
  EXPECT_EQ(input_error([&] { ModelConfig::from_json(uneven, "config.json"); }),
            "config.json: num_attention_heads (32) must be a multiple of num_key_value_heads (5)");
  nlohmann::json missing = json;
  missing.erase("vocab_size");
  EXPECT_EQ(input_error([&] { ModelConfig::from_json(missing, "config.json"); }),
            "config.json: missing field 'vocab_size'");
}

// config.json as transformers 5 writes it for SmolLM2 (rope_parameters, "dtype", no top-level
// rope_theta) and as 4.x writes Llama 3.1's (rope_theta and rope_scaling of type llama3).
nlohmann::json llama_config() {
  return {{"architectures", {"LlamaForCausalLM"}},
          {"hidden_size", 576},
          {"intermediate_size", 1536},
          {"num_hidden_layers", 30},
          {"num_attention_heads", 9},
          {"num_key_value_heads", 3},
          {"head_dim", 64},
          {"hidden_act", "silu"},
          {"attention_bias", false},
          {"attention_dropout", 0.0},
          {"mlp_bias", false},
          {"vocab_size", 49152},
          {"max_position_embeddings", 8192},
          {"tie_word_embeddings", true},
          {"bos_token_id", 1},
          {"eos_token_id", 2},
          {"pretraining_tp", 1}};
}

TEST(ModelConfig, ReadsRopeParametersAndLlama3Scaling) {
  nlohmann::json v5 = llama_config();
  v5["rope_parameters"] = {{"rope_theta", 100000.0}, {"rope_type", "default"}};
  v5["dtype"] = "bfloat16";
  const ModelConfig smollm = ModelConfig::from_json(v5, "config.json");
  EXPECT_EQ(smollm.rope.theta, 100000.0);
  EXPECT_EQ(smollm.rope.kind, RopeSettings::Kind::kDefault);
  EXPECT_EQ(smollm.torch_dtype, "bfloat16");
  EXPECT_EQ(smollm.max_position_embeddings, 8192);

  nlohmann::json v4 = llama_config();
  v4["rope_theta"] = 500000.0;
  v4["rope_scaling"] = {{"rope_type", "llama3"},
                        {"factor", 8.0},
                        {"low_freq_factor", 1.0},
                        {"high_freq_factor", 4.0},
                        {"original_max_position_embeddings", 8192}};
  const ModelConfig llama3 = ModelConfig::from_json(v4, "config.json");
  EXPECT_EQ(llama3.rope.theta, 500000.0);
  EXPECT_EQ(llama3.rope.kind, RopeSettings::Kind::kLlama3);
  EXPECT_EQ(llama3.rope.factor, 8.0);
  EXPECT_EQ(llama3.rope.high_freq_factor, 4.0);
  EXPECT_EQ(llama3.rope.original_max_position_embeddings, 8192);
  // The same in transformers 5's form, and through a write and a read.
  nlohmann::json llama3_v5 = llama_config();
  llama3_v5["rope_parameters"] = v4["rope_scaling"];
  llama3_v5["rope_parameters"]["rope_theta"] = 500000.0;
  for (const ModelConfig& config : {ModelConfig::from_json(llama3_v5, "config.json"),
                                    ModelConfig::from_json(llama3.to_json(), "config.json")}) {
    EXPECT_EQ(config.rope.theta, 500000.0);
    EXPECT_EQ(config.rope.kind, RopeSettings::Kind::kLlama3);
    EXPECT_EQ(config.rope.low_freq_factor, 1.0);
    EXPECT_EQ(config.rope.original_max_position_embeddings, 8192);
  }
  // A position count beyond any context (once undefined behaviour to convert) is refused.
  nlohmann::json huge = v4;
  huge["rope_scaling"]["original_max_position_embeddings"] = 8.192e86;
  EXPECT_EQ(input_error([&] { ModelConfig::from_json(huge, "config.json"); }),
            "config.json: field 'rope_scaling.original_max_position_embeddings' is 8.192e+86 "
            "(expected a whole number in [1, 2^40])");
  huge["rope_scaling"]["original_max_position_embeddings"] = 8192.5;
  EXPECT_NE(input_error([&] { ModelConfig::from_json(huge, "config.json"); }).find("is 8192.5"),
            std::string::npos);
  // 4.x's older key "type" names the rope type too.
  nlohmann::json old_key = v4;
  old_key["rope_scaling"].erase("rope_type");
  old_key["rope_scaling"]["type"] = "llama3";
  EXPECT_EQ(ModelConfig::from_json(old_key, "config.json").rope.kind, RopeSettings::Kind::kLlama3);
}

TEST(ModelConfig, FieldsThatWouldChangeTheComputationAreRefusedByName) {
  const auto refused = [](const char* field, const nlohmann::json& value) {
    nlohmann::json json = llama_config();
    json[field] = value;
    return input_error([&] { ModelConfig::from_json(json, "config.json"); });
  };
  EXPECT_EQ(refused("hidden_act", "gelu"),
            "config.json: field 'hidden_act' is \"gelu\": another activation than SiLU is not "
            "implemented (expected \"silu\")");
  EXPECT_EQ(refused("attention_bias", true),
            "config.json: field 'attention_bias' is true: a bias in the attention projections is "
            "not implemented (expected false)");
  EXPECT_EQ(refused("mlp_bias", true),
            "config.json: field 'mlp_bias' is true: a bias in the MLP is not implemented "
            "(expected false)");
  EXPECT_EQ(refused("attention_dropout", 0.1),
            "config.json: field 'attention_dropout' is 0.1: attention dropout is not implemented "
            "(expected 0.0)");
  EXPECT_EQ(refused("partial_rotary_factor", 0.5),
            "config.json: field 'partial_rotary_factor' is 0.5: rotary embeddings over part of a "
            "head is not implemented (expected 1.0)");
  EXPECT_EQ(refused("quantization_config", {{"quant_method", "gptq"}}),
            "config.json: field 'quantization_config' is given: quantised weights are not "
            "implemented (expected float32, float16 or bfloat16 weights)");
  EXPECT_EQ(refused("rope_scaling", {{"rope_type", "yarn"}, {"factor", 4.0}}),
            "config.json: field 'rope_scaling.rope_type' is 'yarn': this RoPE scaling is not "
            "implemented (expected default or llama3)");
  EXPECT_EQ(refused("rope_parameters", {{"rope_type", "llama3"}, {"factor", 8.0}}),
            "config.json: field 'rope_parameters.low_freq_factor' must be a number for rope_type "
            "llama3");
  nlohmann::json both = llama_config();
  both["rope_theta"] = 10000.0;
  both["rope_parameters"] = {{"rope_theta", 100000.0}};
  EXPECT_EQ(input_error([&] { ModelConfig::from_json(both, "config.json"); }),
            "config.json: fields 'rope_theta' (10000) and 'rope_parameters.rope_theta' (100000) "
            "differ");
  // Values that change nothing are accepted: the implemented ones, and nulls.
  nlohmann::json fine = llama_config();
  fine["rope_scaling"] = nullptr;
  fine["attention_dropout"] = 0;
  EXPECT_NO_THROW(ModelConfig::from_json(fine, "config.json"));
}

// Qwen2 adds q/k/v biases, Qwen3 a norm of each query and key head: the tensors carry
// transformers' names, count in the parameters, and go through a checkpoint and back bit for
// bit, with the architecture and model_type in config.json.
TEST(HfCheckpoint, QwenModelsHaveTheirTensorsAndRoundTrip) {
  const std::pair<const char*, const char*> kinds[] = {
      {"Qwen2ForCausalLM", "model.layers.1.self_attn.k_proj.bias"},
      {"Qwen3ForCausalLM", "model.layers.1.self_attn.q_norm.weight"}};
  ByteTokenizer tokenizer;
  for (const auto& [architecture, tensor] : kinds) {
    ModelConfig config = testing_support::tiny_config_of(architecture);
    config.vocab_size = ByteTokenizer::kVocabSize;
    auto model = tiny_model(config);
    const auto weights = model->named_weights();
    ASSERT_TRUE(weights.count(tensor)) << architecture;
    int64_t count = 0;
    for (const auto& [name, weight] : weights) count += weight.numel();
    EXPECT_EQ(count, config.parameter_count()) << architecture;
    const std::string directory = temp_path(std::string("model_") + architecture);
    save_hf_model(directory, *model, tokenizer);
    const nlohmann::json written = nlohmann::json::parse(std::ifstream(directory + "/config.json"));
    EXPECT_EQ(written["architectures"][0], architecture);
    EXPECT_EQ(written["model_type"], config.qkv_bias() ? "qwen2" : "qwen3");
    const LoadedModel loaded = load_hf_model(directory);
    for (const auto& [name, weight] : loaded.model->named_weights())
      EXPECT_TRUE(torch::equal(weight, weights.at(name))) << architecture << " " << name;
  }
}

// A shape whose byte count leaves 64 bits would wrap into a small count that the offsets could
// match: refused by the checked product, before any tensor is allocated.
TEST(Safetensors, ShapesWhoseByteCountOverflowsAreRefused) {
  const std::string path = temp_path("overflow.safetensors");
  write_raw(path, R"({"w":{"dtype":"F32","shape":[4294967296,1073741824],"data_offsets":[0,0]}})",
            0);
  EXPECT_EQ(input_error([&] { check_safetensors(path); }),
            path + ": tensor 'w': shape [4294967296,1073741824] of F32 needs more bytes than 2^64");
  // 2^62 * 4 bytes wraps to 0: without the check the empty data would "match".
  write_raw(path, R"({"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})", 0);
  EXPECT_EQ(input_error([&] { read_safetensors(path); }),
            path + ": tensor 'w': shape [4611686018427387904] of F32 needs more bytes than 2^64");
  write_raw(path, R"({"w":{"dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,0]}})", 0);
  EXPECT_EQ(input_error([&] { check_safetensors(path); }),
            path + ": tensor 'w': shape must list non-negative integers below 2^63");
}

// A JSON file of a saved model directory, edited in place.
void edit_json_file(const std::string& path, const std::function<void(nlohmann::json&)>& edit) {
  std::ifstream in(path);
  nlohmann::json json = nlohmann::json::parse(in);
  in.close();
  edit(json);
  std::ofstream(path) << json.dump();
}

void edit_config(const std::string& directory, const std::function<void(nlohmann::json&)>& edit) {
  edit_json_file(directory + "/config.json", edit);
}

// The tiny model with the byte tokenizer's vocabulary, as a saved directory needs.
std::shared_ptr<Transformer> byte_vocabulary_model() {
  ModelConfig config = tiny_config();
  config.vocab_size = ByteTokenizer::kVocabSize;
  return tiny_model(config);
}

// A dimension of config.json larger than the weights is refused from the files' headers, before
// a model of that size is allocated (a vocab_size of 10^9 would take gigabytes first).
TEST(HfCheckpoint, DimensionsAreCheckedAgainstTheHeadersBeforeAllocating) {
  ByteTokenizer tokenizer;
  const auto model = byte_vocabulary_model();
  const std::string directory = temp_path("model_dimensions");
  const auto refused = [&](const std::function<void(nlohmann::json&)>& edit) {
    save_hf_model(directory, *model, tokenizer);
    edit_config(directory, edit);
    return input_error([&] { load_hf_model(directory); });
  };
  EXPECT_EQ(refused([](nlohmann::json& c) { c["vocab_size"] = 1000000000; }),
            directory +
                ": tensor 'model.embed_tokens.weight' has shape [259, 16], config.json implies "
                "[1000000000, 16] (vocab_size, hidden_size, heads, head_dim or intermediate_size "
                "does not match the weights)");
  EXPECT_EQ(refused([](nlohmann::json& c) { c["intermediate_size"] = 1 << 30; }),
            directory +
                ": tensor 'model.layers.1.mlp.down_proj.weight' has shape [16, 24], config.json "
                "implies [16, 1073741824] (vocab_size, hidden_size, heads, head_dim or "
                "intermediate_size does not match the weights)");
  EXPECT_EQ(refused([](nlohmann::json& c) { c["num_hidden_layers"] = 100000; }),
            directory +
                ": config.json num_hidden_layers is 100000, but the weight files have no tensor "
                "'model.layers.99999.mlp.down_proj.weight'");
  EXPECT_EQ(refused([](nlohmann::json& c) { c["num_key_value_heads"] = 4; }),
            directory +
                ": tensor 'model.layers.0.self_attn.k_proj.weight' has shape [8, 16], config.json "
                "implies [16, 16] (vocab_size, hidden_size, heads, head_dim or intermediate_size "
                "does not match the weights)");
}

// With an index, each tensor comes from the shard the index names for it, and from no other.
TEST(HfCheckpoint, ATensorOutsideTheShardTheIndexNamesIsRefused) {
  ByteTokenizer tokenizer;
  const auto model = byte_vocabulary_model();
  const std::string directory = temp_path("model_index");
  const std::string index_path = directory + "/model.safetensors.index.json";
  const auto with_index = [&](const std::function<void(nlohmann::json&)>& edit) {
    save_hf_model(directory, *model, tokenizer, torch::kFloat, 4000);
    edit_json_file(index_path, edit);
    return input_error([&] { load_hf_model(directory); });
  };
  EXPECT_EQ(with_index([](nlohmann::json&) {}), "<no error>");
  // The index names another shard for the norm than the one that holds it.
  std::string holder, other;
  const std::string message = with_index([&](nlohmann::json& index) {
    holder = index["weight_map"]["model.norm.weight"];
    for (const auto& [name, shard] : index["weight_map"].items())
      if (shard != holder) other = shard;
    index["weight_map"]["model.norm.weight"] = other;
  });
  EXPECT_EQ(message, directory + "/" + holder + ": tensor 'model.norm.weight' is here, but " +
                         index_path + " names " + directory + "/" + other + " for it");
  // The same tensor in two shards: refused, whichever the index names.
  save_hf_model(directory, *model, tokenizer, torch::kFloat, 4000);
  const std::string second = directory + "/" + other;
  auto tensors = read_safetensors(second).tensors;
  tensors["model.norm.weight"] = torch::zeros({16});
  write_safetensors(second, NamedTensors(tensors.begin(), tensors.end()));
  const std::string twice = input_error([&] { load_hf_model(directory); });
  EXPECT_NE(twice.find(": tensor 'model.norm.weight' is "), std::string::npos) << twice;
  EXPECT_NE(twice.find("model.norm.weight"), std::string::npos) << twice;
  // A shard path outside the model directory.
  EXPECT_EQ(with_index([](nlohmann::json& index) {
              index["weight_map"]["model.norm.weight"] = "../elsewhere.safetensors";
            }),
            index_path +
                ": field 'weight_map.model.norm.weight' must be a file name in the model "
                "directory, got \"../elsewhere.safetensors\"");
}

// Every product that sizes a model is int64_t: a shape far beyond any model is refused by name.
TEST(ModelConfig, ShapesWhoseParameterCountOverflowsAreRefused) {
  ModelConfig config = tiny_config();
  config.hidden_size = int64_t{1} << 40;
  config.intermediate_size = int64_t{1} << 40;
  EXPECT_EQ(input_error([&] { config.validate("config.json"); }),
            "config.json: a shape of about 7.25355e+24 parameters (expected fewer than 2^60)");
}

}  // namespace
}  // namespace scir
