#include "scir/model/cpu_attention.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "scir/core/float_loops.h"
#include "scir/model/attention_tiles.h"
#include "scir/model/precision.h"
#include "scir/model/vector_levels.h"

namespace scir {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Where the operands' rows are: element strides of [B, heads, T, head_dim] views whose last
// dimension is contiguous, and each query row's visible keys [first, end) read from the bias.
struct AttentionViews {
  const float* q;
  int64_t q_batch, q_head, q_step;
  const float* k;
  int64_t k_batch, k_head, k_step;
  const float* v;
  int64_t v_batch, v_head, v_step;
  const float* bias;
  int64_t bias_batch, bias_step;
  const int32_t* visible;  // [B, T, 2]: first and one past the last visible key of each row
  int64_t heads, kv_heads, steps, keys, head_dim;
  float scale;
};

torch::Tensor last_dim_contiguous(const torch::Tensor& t) {
  return t.stride(-1) == 1 ? t : t.contiguous();
}

// First and one past the last key with a finite bias, for each (batch, query) row. Keys outside
// that range are never read; a -inf inside it (a padded key between visible ones) weighs 0.
torch::Tensor visible_ranges(const torch::Tensor& bias) {
  const int64_t batch = bias.size(0), steps = bias.size(2), keys = bias.size(3);
  torch::Tensor ranges = torch::empty({batch, steps, 2}, torch::kInt);
  int32_t* out = ranges.data_ptr<int32_t>();
  const float* values = bias.data_ptr<float>();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t t = 0; t < steps; ++t) {
      const float* row = values + b * bias.stride(0) + t * bias.stride(2);
      int64_t first = 0, end = keys;
      while (first < keys && std::isinf(row[first])) ++first;
      while (end > first && std::isinf(row[end - 1])) --end;
      out[2 * (b * steps + t)] = static_cast<int32_t>(first);
      out[2 * (b * steps + t) + 1] = static_cast<int32_t>(end);
    }
  }
  return ranges;
}

AttentionViews views_of(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& bias, const torch::Tensor& ranges) {
  return AttentionViews{q.data_ptr<float>(),
                        q.stride(0),
                        q.stride(1),
                        q.stride(2),
                        k.data_ptr<float>(),
                        k.stride(0),
                        k.stride(1),
                        k.stride(2),
                        v.data_ptr<float>(),
                        v.stride(0),
                        v.stride(1),
                        v.stride(2),
                        bias.defined() ? bias.data_ptr<float>() : nullptr,
                        bias.defined() ? bias.stride(0) : 0,
                        bias.defined() ? bias.stride(2) : 0,
                        ranges.data_ptr<int32_t>(),
                        q.size(1),
                        k.size(1),
                        q.size(2),
                        k.size(2),
                        q.size(3),
                        static_cast<float>(1.0 / std::sqrt(double(q.size(3))))};
}

// The operands as the kernel reads them (last dimension contiguous), each row's visible keys,
// and the views over them; the tensors keep the views' memory alive.
struct PreparedInputs {
  torch::Tensor q, k, v, bias, ranges;
  AttentionViews views;
};

PreparedInputs prepare(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                       const torch::Tensor& bias) {
  PreparedInputs in{last_dim_contiguous(q),    last_dim_contiguous(k), last_dim_contiguous(v),
                    last_dim_contiguous(bias), torch::Tensor(),        AttentionViews{}};
  in.ranges = visible_ranges(in.bias);
  in.views = views_of(in.q, in.k, in.v, in.bias, in.ranges);
  return in;
}

// How one (batch, key head) block is laid out: its query rows (group g, step t) at g T + t,
// padded to whole tiles; its keys padded to whole chunks.
struct BlockShape {
  int64_t rows, padded_rows, tiles, padded_keys;
};

BlockShape block_shape(const AttentionViews& in) {
  const int64_t rows = in.heads / in.kv_heads * in.steps;
  const int64_t tiles = (rows + kTileRows - 1) / kTileRows;
  const int64_t padded_keys = (in.keys + kKeyChunk - 1) / kKeyChunk * kKeyChunk;
  return BlockShape{rows, tiles * kTileRows, tiles, padded_keys};
}

enum class Direction { forward, backward };

// A thread's work space for one block at a time, for the forward or the backward (each leaves
// the other's buffers empty).
struct BlockBuffers {
  BlockBuffers(const AttentionViews& in, Direction direction)
      : shape(block_shape(in)),
        queries(shape.padded_rows * in.head_dim),
        transposed(in.head_dim * shape.padded_keys),
        unused_row(in.head_dim),
        tile_chunks(2 * shape.tiles) {
    const int64_t block_values = shape.padded_rows * shape.padded_keys;
    if (direction == Direction::forward) {
      bias.resize(in.steps * shape.padded_keys);
      weights.resize(block_values);  // used when the weights are not kept
    } else {
      output_gradients.resize(shape.padded_rows * in.head_dim);
      second_transposed.resize(in.head_dim * shape.padded_keys);
      weight_gradients.resize(block_values);
    }
  }
  BlockShape shape;
  std::vector<float> queries, transposed, unused_row, bias, weights, output_gradients,
      second_transposed, weight_gradients;
  std::vector<int64_t> tile_chunks;
  // The batch row whose tile ranges (and, forward, padded bias rows) the buffers hold: both
  // depend on the row alone, and a thread's blocks come a batch row's key heads in a row.
  int64_t batch_row = -1;
  float* out_rows[kTileRows];
};

int64_t query_head(const AttentionViews& in, int64_t kv_head, int64_t row) {
  return kv_head * (in.heads / in.kv_heads) + row / in.steps;
}

// Each tile's key chunks [first, end): the union of its rows' visible keys in whole chunks.
// Within it a row's keys outside its own range have a -inf bias and weigh exactly 0.
void tile_chunk_ranges(const AttentionViews& in, int64_t b, const BlockShape& shape, int64_t* out) {
  for (int64_t tile = 0; tile < shape.tiles; ++tile) {
    int64_t first = shape.padded_keys / kKeyChunk, end = 0;
    for (int64_t row = tile * kTileRows; row < std::min(shape.rows, (tile + 1) * kTileRows);
         ++row) {
      const int32_t* range = in.visible + 2 * (b * in.steps + row % in.steps);
      first = std::min<int64_t>(first, range[0] / kKeyChunk);
      end = std::max<int64_t>(end, (range[1] + kKeyChunk - 1) / kKeyChunk);
    }
    out[2 * tile] = std::min(first, end);
    out[2 * tile + 1] = end;
  }
}

// Batch row b's tile ranges and, forward, its bias rows padded to whole chunks with -inf, unless
// the buffers hold them already.
void load_batch_row(const AttentionViews& in, int64_t b, BlockBuffers& buffers) {
  if (buffers.batch_row == b) return;
  buffers.batch_row = b;
  tile_chunk_ranges(in, b, buffers.shape, buffers.tile_chunks.data());
  if (buffers.bias.empty()) return;
  const int64_t padded_keys = buffers.shape.padded_keys;
  float* bias = buffers.bias.data();
  for (int64_t t = 0; t < in.steps; ++t) {
    const float* source = in.bias + b * in.bias_batch + t * in.bias_step;
    std::copy(source, source + in.keys, bias + t * padded_keys);
    std::fill(bias + t * padded_keys + in.keys, bias + (t + 1) * padded_keys,
              -std::numeric_limits<float>::infinity());
  }
}

// The block's rows of a [B, heads, T, head_dim] view (row stride `step`), times `factor`, into
// [padded_rows][head_dim]; the padding rows zero. Head widths are whole steps of kHeadStepMax,
// a fixed trip count the compiler turns into one vector each.
SCIR_ALWAYS_INLINE void gather_rows(const AttentionViews& in, const float* base,
                                    int64_t batch_stride, int64_t head_stride, int64_t step_stride,
                                    int64_t b, int64_t kv_head, const BlockShape& shape,
                                    float factor, float* out) {
  const int64_t width = in.head_dim;
  for (int64_t row = 0; row < shape.padded_rows; ++row) {
    float* target = out + row * width;
    if (row >= shape.rows) {
      std::fill(target, target + width, 0.0f);
      continue;
    }
    const float* source = base + b * batch_stride + query_head(in, kv_head, row) * head_stride +
                          (row % in.steps) * step_stride;
    for (int64_t d0 = 0; d0 < width; d0 += kHeadStepMax) {
      for (int64_t d = d0; d < d0 + kHeadStepMax; ++d) target[d] = source[d] * factor;
    }
  }
}

// keys x width rows (stride `stride`) into [width][padded_keys], zero beyond `keys`.
SCIR_ALWAYS_INLINE void transpose_padded(const float* in, int64_t stride, int64_t keys,
                                         int64_t width, int64_t padded_keys, float* out) {
  for (int64_t d = 0; d < width; ++d) {
    float* column = out + d * padded_keys;
    for (int64_t j = 0; j < keys; ++j) column[j] = in[j * stride + d];
    std::fill(column + keys, column + padded_keys, 0.0f);
  }
}

// [width][padded_keys] back into keys x width contiguous rows.
void transpose_back(const float* in, int64_t keys, int64_t width, int64_t padded_keys, float* out) {
  for (int64_t j = 0; j < keys; ++j) {
    for (int64_t d = 0; d < width; ++d) out[j * width + d] = in[d * padded_keys + j];
  }
}

// A tile's key chunks [first, end) and its rows' values over them.
struct TileKeys {
  int64_t first, end, n;
  float* values;
};

// rows x columns over a tile's key chunks into its rows of `block_values` ([padded_rows]
// [padded_keys]): the scores forward, the weights' gradient backward.
template <int Lanes>
SCIR_ALWAYS_INLINE TileKeys tile_product(const BlockBuffers& buffers, int64_t tile,
                                         const float* rows, int64_t width, const float* columns,
                                         float* block_values) {
  const int64_t padded_keys = buffers.shape.padded_keys;
  const int64_t first = buffers.tile_chunks[2 * tile], end = buffers.tile_chunks[2 * tile + 1];
  float* values = block_values + tile * kTileRows * padded_keys;
  tile_rows_times_columns<Lanes>(rows + tile * kTileRows * width, columns, width, padded_keys,
                                 first, end, values);
  return TileKeys{first, end, (end - first) * kKeyChunk, values};
}

// A padding row of a tile (row >= rows): its values zero, so it adds nothing to the key and
// value gradients, and its output row the unused one.
bool padding_row(BlockBuffers& buffers, int64_t row, int64_t r, float* values, int64_t n) {
  if (row < buffers.shape.rows) return false;
  std::fill(values, values + n, 0.0f);
  buffers.out_rows[r] = buffers.unused_row.data();
  return true;
}

// One (batch, key head) block forward, tile by tile: scores, softmax and context rows (into
// `context` [B, T, heads, head_dim]). The weights go to `weights` ([padded_rows][padded_keys],
// the block's part of what the backward reads) when it is not null.
template <int Lanes>
SCIR_ALWAYS_INLINE void attend_block(const AttentionViews& in, int64_t b, int64_t kv_head,
                                     float* weights, float* context, BlockBuffers& buffers) {
  const BlockShape& shape = buffers.shape;
  const int64_t width = in.head_dim, padded_keys = shape.padded_keys;
  load_batch_row(in, b, buffers);
  float* queries = buffers.queries.data();
  gather_rows(in, in.q, in.q_batch, in.q_head, in.q_step, b, kv_head, shape, in.scale, queries);
  float* keys_t = buffers.transposed.data();
  transpose_padded(in.k + b * in.k_batch + kv_head * in.k_head, in.k_step, in.keys, width,
                   padded_keys, keys_t);
  const float* bias = buffers.bias.data();
  float* block_weights = weights ? weights : buffers.weights.data();
  for (int64_t tile = 0; tile < shape.tiles; ++tile) {
    const TileKeys keys = tile_product<Lanes>(buffers, tile, queries, width, keys_t, block_weights);
    float* rows[kTileRows];
    const float* bias_rows[kTileRows];
    for (int64_t r = 0; r < kTileRows; ++r) {
      // A padding row takes the last row's bias (its softmax is computed, then zeroed).
      const int64_t row = tile * kTileRows + r, t = std::min(row, shape.rows - 1) % in.steps;
      rows[r] = keys.values + r * padded_keys + keys.first * kKeyChunk;
      bias_rows[r] = bias + t * padded_keys + keys.first * kKeyChunk;
    }
    tile_softmax<Lanes>(rows, bias_rows, keys.n);
    for (int64_t r = 0; r < kTileRows; ++r) {
      const int64_t row = tile * kTileRows + r, t = row % in.steps;
      if (padding_row(buffers, row, r, rows[r], keys.n)) continue;
      buffers.out_rows[r] =
          context + ((b * in.steps + t) * in.heads + query_head(in, kv_head, row)) * width;
    }
    tile_weights_times_rows<Lanes>(
        keys.values, padded_keys, in.v + b * in.v_batch + kv_head * in.v_head, in.v_step, width,
        keys.first * kKeyChunk, std::min(keys.end * kKeyChunk, in.keys), buffers.out_rows);
  }
}

// One (batch, key head) block backward from the saved weights P and the context's gradient dO:
// dP = dO v^T, dS = P (dP - rowsum(P dP)) / sqrt(head_dim), dq = dS k, dk = dS^T q, dv = P^T dO.
// The key and value gradients of the block are summed over its query heads here, so blocks never
// write the same memory.
template <int Lanes>
SCIR_ALWAYS_INLINE void attend_block_backward(const AttentionViews& in, int64_t b, int64_t kv_head,
                                              const float* weights, const float* grad_context,
                                              float* grad_q, float* grad_k, float* grad_v,
                                              BlockBuffers& buffers) {
  const BlockShape& shape = buffers.shape;
  const int64_t width = in.head_dim, padded_keys = shape.padded_keys;
  load_batch_row(in, b, buffers);
  const int64_t* tile_chunks = buffers.tile_chunks.data();
  float* queries = buffers.queries.data();
  gather_rows(in, in.q, in.q_batch, in.q_head, in.q_step, b, kv_head, shape, 1.0f, queries);
  float* d_out = buffers.output_gradients.data();
  gather_rows(in, grad_context, in.steps * in.heads * width, width, in.heads * width, b, kv_head,
              shape, 1.0f, d_out);
  float* values_t = buffers.transposed.data();
  transpose_padded(in.v + b * in.v_batch + kv_head * in.v_head, in.v_step, in.keys, width,
                   padded_keys, values_t);
  float* ds = buffers.weight_gradients.data();
  for (int64_t tile = 0; tile < shape.tiles; ++tile) {
    const TileKeys keys = tile_product<Lanes>(buffers, tile, d_out, width, values_t, ds);
    for (int64_t r = 0; r < kTileRows; ++r) {
      const int64_t row = tile * kTileRows + r;
      const float* p = weights + row * padded_keys + keys.first * kKeyChunk;
      float* d = keys.values + r * padded_keys + keys.first * kKeyChunk;
      if (padding_row(buffers, row, r, d, keys.n)) continue;
      const float centre = dot(p, d, keys.n);
      for (int64_t j = 0; j < keys.n; ++j) d[j] = p[j] * (d[j] - centre) * in.scale;
      buffers.out_rows[r] =
          grad_q +
          ((b * in.heads + query_head(in, kv_head, row)) * in.steps + row % in.steps) * width;
    }
    tile_weights_times_rows<Lanes>(
        keys.values, padded_keys, in.k + b * in.k_batch + kv_head * in.k_head, in.k_step, width,
        keys.first * kKeyChunk, std::min(keys.end * kKeyChunk, in.keys), buffers.out_rows);
  }
  float* d_keys_t = buffers.transposed.data();
  float* d_values_t = buffers.second_transposed.data();
  for (int64_t chunk = 0; chunk < padded_keys / kKeyChunk; ++chunk) {
    tile_columns_of_transposed_product<Lanes>(queries, ds, tile_chunks, shape.tiles, width,
                                              padded_keys, chunk, d_keys_t);
    tile_columns_of_transposed_product<Lanes>(d_out, weights, tile_chunks, shape.tiles, width,
                                              padded_keys, chunk, d_values_t);
  }
  const int64_t offset = (b * in.kv_heads + kv_head) * in.keys * width;
  transpose_back(d_keys_t, in.keys, width, padded_keys, grad_k + offset);
  transpose_back(d_values_t, in.keys, width, padded_keys, grad_v + offset);
}

// The two block loops compiled at each vector level: their bodies are inlined into these, so
// each is the whole loop for its instruction set. The build itself targets any x86-64, where
// vectors are 4 wide; the level is chosen when the kernel first runs (vector_level_in_use).
#define SCIR_BLOCK_LOOPS_AT(level, lanes, attributes)                                              \
  attributes void level##_forward(const AttentionViews& in, int64_t b, int64_t kv_head,            \
                                  float* weights, float* context, BlockBuffers& buffers) {         \
    attend_block<lanes>(in, b, kv_head, weights, context, buffers);                                \
  }                                                                                                \
  attributes void level##_backward(const AttentionViews& in, int64_t b, int64_t kv_head,           \
                                   const float* weights, const float* grad_context, float* grad_q, \
                                   float* grad_k, float* grad_v, BlockBuffers& buffers) {          \
    attend_block_backward<lanes>(in, b, kv_head, weights, grad_context, grad_q, grad_k, grad_v,    \
                                 buffers);                                                         \
  }
SCIR_DEFINE_AT_VECTOR_LEVELS(SCIR_BLOCK_LOOPS_AT)
#undef SCIR_BLOCK_LOOPS_AT

struct BlockLoops {
  decltype(&baseline_forward) forward;
  decltype(&baseline_backward) backward;
};

BlockLoops block_loops(VectorLevel level) {
  return {SCIR_AT_VECTOR_LEVEL(level, baseline_forward, avx2_forward, avx512_forward),
          SCIR_AT_VECTOR_LEVEL(level, baseline_backward, avx2_backward, avx512_backward)};
}

// Runs block(b, kv_head, buffers) over every (batch, key head) block, in parallel when the blocks
// are worth threads, with one set of `direction`'s buffers a thread.
template <typename Block>
void for_each_block(const AttentionViews& in, int64_t batch, Direction direction,
                    const Block& block) {
  const int64_t block_values = (in.heads / in.kv_heads) * in.steps * in.keys;
  const int64_t grain =
      std::max<int64_t>(1, kValuesPerThreadChunk / std::max<int64_t>(1, block_values));
  at::parallel_for(0, batch * in.kv_heads, grain, [&](int64_t begin, int64_t end) {
    BlockBuffers buffers(in, direction);
    for (int64_t i = begin; i < end; ++i) block(i / in.kv_heads, i % in.kv_heads, buffers);
  });
}

// The saved weights: each block's [padded_rows][padded_keys].
int64_t block_weight_values(const AttentionViews& in) {
  const BlockShape shape = block_shape(in);
  return shape.padded_rows * shape.padded_keys;
}

// The context [B, T, heads * head_dim]; the weights into `weights` when it is not null.
torch::Tensor run_forward(const AttentionViews& in, int64_t batch, float* weights) {
  torch::Tensor context = torch::empty({batch, in.steps, in.heads * in.head_dim}, torch::kFloat);
  float* out = context.data_ptr<float>();
  const int64_t per_block = block_weight_values(in);
  const BlockLoops loops = block_loops(vector_level_in_use());
  for_each_block(in, batch, Direction::forward,
                 [&](int64_t b, int64_t kv_head, BlockBuffers& buffers) {
                   float* block_weights =
                       weights ? weights + (b * in.kv_heads + kv_head) * per_block : nullptr;
                   loops.forward(in, b, kv_head, block_weights, out, buffers);
                 });
  return context;
}

struct OnePassAttention : public torch::autograd::Function<OnePassAttention> {
  static torch::Tensor forward(AutogradContext* context, const torch::Tensor& query,
                               const torch::Tensor& key, const torch::Tensor& value,
                               const torch::Tensor& bias) {
    const PreparedInputs in = prepare(query, key, value, bias);
    torch::Tensor weights = torch::empty(
        {in.q.size(0) * in.views.kv_heads * block_weight_values(in.views)}, in.q.options());
    const torch::Tensor out = run_forward(in.views, in.q.size(0), weights.data_ptr<float>());
    context->save_for_backward({in.q, in.k, in.v, weights, in.ranges});
    return out;
  }

  static variable_list backward(AutogradContext* context, variable_list gradients) {
    const auto saved = context->get_saved_variables();
    const torch::Tensor &q = saved[0], &k = saved[1], &v = saved[2], &weights = saved[3];
    const AttentionViews in = views_of(q, k, v, torch::Tensor(), saved[4]);
    const torch::Tensor grad_context = gradients[0].contiguous();
    torch::Tensor grad_q = torch::empty(q.sizes(), q.options());
    torch::Tensor grad_k = torch::empty(k.sizes(), k.options());
    torch::Tensor grad_v = torch::empty(v.sizes(), v.options());
    const float* saved_weights = weights.data_ptr<float>();
    const float* d_context = grad_context.data_ptr<float>();
    float *d_q = grad_q.data_ptr<float>(), *d_k = grad_k.data_ptr<float>(),
          *d_v = grad_v.data_ptr<float>();
    const int64_t per_block = block_weight_values(in);
    const BlockLoops loops = block_loops(vector_level_in_use());
    for_each_block(in, q.size(0), Direction::backward,
                   [&](int64_t b, int64_t kv_head, BlockBuffers& buffers) {
                     const int64_t block = b * in.kv_heads + kv_head;
                     loops.backward(in, b, kv_head, saved_weights + block * per_block, d_context,
                                    d_q, d_k, d_v, buffers);
                   });
    return {grad_q, grad_k, grad_v, torch::Tensor()};
  }
};

}  // namespace

bool one_pass_attention_applies(const torch::Tensor& q, const torch::Tensor& k,
                                const torch::Tensor& v, const torch::Tensor& bias) {
  for (const torch::Tensor* t : {&q, &k, &v, &bias}) {
    if (!t->device().is_cpu() || t->scalar_type() != torch::kFloat || t->dim() != 4) return false;
  }
  return !bias.requires_grad() && bias.size(1) == 1 && q.size(3) % kHeadStepMax == 0;
}

torch::Tensor attention_reference(const torch::Tensor& q, const torch::Tensor& k,
                                  const torch::Tensor& v, const torch::Tensor& bias) {
  const int64_t batch = q.size(0), heads = q.size(1), steps = q.size(2), head_dim = q.size(3);
  const int64_t kv_heads = k.size(1), keys = k.size(2), groups = heads / kv_heads;
  const torch::Tensor grouped_q = q.reshape({batch, kv_heads, groups * steps, head_dim});
  torch::Tensor scores =
      torch::matmul(grouped_q, k.transpose(-2, -1)) / std::sqrt(double(head_dim));
  scores = scores.view({batch, kv_heads, groups, steps, keys}) + bias.unsqueeze(1);
  const torch::Tensor weights =
      torch::softmax(scores.to(compute_dtype(scores.scalar_type())), -1).to(q.scalar_type());
  return torch::matmul(weights.view({batch, kv_heads, groups * steps, keys}), v)
      .view({batch, heads, steps, head_dim})
      .transpose(1, 2)
      .reshape({batch, steps, heads * head_dim});
}

torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& bias) {
  if (!one_pass_attention_applies(q, k, v, bias)) return attention_reference(q, k, v, bias);
  const bool needs_graph = torch::GradMode::is_enabled() &&
                           (q.requires_grad() || k.requires_grad() || v.requires_grad());
  if (needs_graph) return OnePassAttention::apply(q, k, v, bias);
  // No backward to come: the weights of a block at a time in scratch, none kept.
  return run_forward(prepare(q, k, v, bias).views, q.size(0), nullptr);
}

}  // namespace scir
