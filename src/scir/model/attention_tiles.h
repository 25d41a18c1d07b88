// The three small products inside one-pass attention (model/cpu_attention), as register tiles:
// kTileRows query rows at a time, keys in chunks of kKeyChunk, head widths in steps of
// kHeadStep. Every trip count inside a tile is fixed, so the compiler keeps a tile in vector
// registers and no scalar remainder loop runs (GCC's vector types, so that the tiles stay whole
// vectors rather than what the auto-vectoriser makes of them); the caller pads keys to whole chunks
// and rows to whole tiles. (A row at a time, with loops as long as each row's visible keys, ran at
// a few percent of the matrix-product peak: loop overhead and remainders dominate 8-wide heads.)
#pragma once

#include <cstdint>

#include "scir/model/float_loops.h"  // SCIR_ALWAYS_INLINE

namespace scir {

constexpr int64_t kTileRows = 4;
constexpr int64_t kKeyChunk = 16;
constexpr int64_t kHeadStep = 8;

// A chunk of keys and a step of a head row as vectors: whole registers where the instruction set
// has them, split into smaller ones by the compiler where not. The Unaligned forms read and
// write them anywhere in a float array.
typedef float KeyChunk __attribute__((vector_size(kKeyChunk * sizeof(float))));
typedef float HeadStep __attribute__((vector_size(kHeadStep * sizeof(float))));
typedef float UnalignedKeyChunk
    __attribute__((vector_size(kKeyChunk * sizeof(float)), aligned(4), may_alias));
typedef float UnalignedHeadStep
    __attribute__((vector_size(kHeadStep * sizeof(float)), aligned(4), may_alias));

SCIR_ALWAYS_INLINE const UnalignedKeyChunk& key_chunk(const float* at) {
  return *reinterpret_cast<const UnalignedKeyChunk*>(at);
}
SCIR_ALWAYS_INLINE UnalignedKeyChunk& key_chunk(float* at) {
  return *reinterpret_cast<UnalignedKeyChunk*>(at);
}
SCIR_ALWAYS_INLINE const UnalignedHeadStep& head_step(const float* at) {
  return *reinterpret_cast<const UnalignedHeadStep*>(at);
}
SCIR_ALWAYS_INLINE UnalignedHeadStep& head_step(float* at) {
  return *reinterpret_cast<UnalignedHeadStep*>(at);
}

// out[r][j] = sum_d rows[r][d] columns[d][j] for the tile's rows and the keys of chunks
// [chunk_begin, chunk_end). rows: [kTileRows][width]; columns: [width][padded_keys] (keys
// transposed); out: [kTileRows][padded_keys]. Scores (q k^T) and the weights' gradient (dO v^T).
SCIR_ALWAYS_INLINE void tile_rows_times_columns(const float* rows, const float* columns,
                                                int64_t width, int64_t padded_keys,
                                                int64_t chunk_begin, int64_t chunk_end,
                                                float* out) {
  for (int64_t c = chunk_begin; c < chunk_end; ++c) {
    KeyChunk sums[kTileRows] = {};
    for (int64_t d = 0; d < width; ++d) {
      const KeyChunk column = key_chunk(columns + d * padded_keys + c * kKeyChunk);
      for (int r = 0; r < kTileRows; ++r) sums[r] += rows[r * width + d] * column;
    }
    for (int r = 0; r < kTileRows; ++r) {
      key_chunk(out + r * padded_keys + c * kKeyChunk) = sums[r];
    }
  }
}

// out_rows[r][:width] = sum over keys j in [key_begin, key_end) of weights[r][j] values[j][:].
// weights: [kTileRows][padded_keys]; values: rows of `width` floats `value_stride` apart; width a
// multiple of kHeadStep. The context (P v) and the queries' gradient (dS k).
SCIR_ALWAYS_INLINE void tile_weights_times_rows(const float* weights, int64_t padded_keys,
                                                const float* values, int64_t value_stride,
                                                int64_t width, int64_t key_begin, int64_t key_end,
                                                float* const* out_rows) {
  for (int64_t d0 = 0; d0 < width; d0 += kHeadStep) {
    HeadStep sums[kTileRows] = {};
    for (int64_t j = key_begin; j < key_end; ++j) {
      const HeadStep value = head_step(values + j * value_stride + d0);
      for (int r = 0; r < kTileRows; ++r) sums[r] += weights[r * padded_keys + j] * value;
    }
    for (int r = 0; r < kTileRows; ++r) head_step(out_rows[r] + d0) = sums[r];
  }
}

// out[d][j] = sum over rows r of rows[r][d] weights[r][j] for the keys of chunk `chunk`, over the
// row tiles whose chunk range [tile_chunks[2i], tile_chunks[2i+1]) holds it (the other tiles'
// weights there are zero and not stored). rows: [tiles * kTileRows][width]; weights: [tiles *
// kTileRows][padded_keys]; out: [width][padded_keys]. The keys' (dS^T q) and values' (P^T dO)
// gradients, transposed.
SCIR_ALWAYS_INLINE void tile_columns_of_transposed_product(const float* rows, const float* weights,
                                                           const int64_t* tile_chunks,
                                                           int64_t tiles, int64_t width,
                                                           int64_t padded_keys, int64_t chunk,
                                                           float* out) {
  for (int64_t d0 = 0; d0 < width; d0 += kHeadStep) {
    KeyChunk sums[kHeadStep] = {};
    for (int64_t tile = 0; tile < tiles; ++tile) {
      if (chunk < tile_chunks[2 * tile] || chunk >= tile_chunks[2 * tile + 1]) continue;
      for (int64_t r = tile * kTileRows; r < (tile + 1) * kTileRows; ++r) {
        const KeyChunk weight = key_chunk(weights + r * padded_keys + chunk * kKeyChunk);
        const float* row = rows + r * width + d0;
        for (int d = 0; d < kHeadStep; ++d) sums[d] += row[d] * weight;
      }
    }
    for (int d = 0; d < kHeadStep; ++d) {
      key_chunk(out + (d0 + d) * padded_keys + chunk * kKeyChunk) = sums[d];
    }
  }
}

// The largest and the sum of n values (a whole number of key chunks), a vector at a time: the
// softmax's reductions, which the compiler leaves scalar (float addition does not reassociate).
SCIR_ALWAYS_INLINE float chunked_max(const float* x, int64_t n) {
  KeyChunk top = key_chunk(x);
  for (int64_t j = kKeyChunk; j < n; j += kKeyChunk) {
    const KeyChunk v = key_chunk(x + j);
    top = v > top ? v : top;
  }
  float result = top[0];
  for (int l = 1; l < kKeyChunk; ++l) result = top[l] > result ? top[l] : result;
  return result;
}

SCIR_ALWAYS_INLINE float chunked_sum(const float* x, int64_t n) {
  KeyChunk sums = {};
  for (int64_t j = 0; j < n; j += kKeyChunk) sums += key_chunk(x + j);
  float result = 0.0f;
  for (int l = 0; l < kKeyChunk; ++l) result += sums[l];
  return result;
}

}  // namespace scir
