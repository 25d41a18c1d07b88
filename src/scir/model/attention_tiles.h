// The three small products inside one-pass attention (model/cpu_attention), as register tiles:
// kTileRows query rows at a time, keys in chunks of kKeyChunk, each a whole number of vectors of
// `Lanes` floats, the instruction set's register width (4 on baseline x86-64, 8 with AVX2, 16
// with AVX-512). Every trip count inside a tile is fixed, so the compiler keeps a tile in vector
// registers and no scalar remainder loop runs; the caller pads keys to whole chunks and rows to
// whole tiles. GCC's vector types rather than the auto-vectoriser, and of the register's width:
// wider ones are split through the stack (16-wide chunks on AVX2 ran at a third of the speed).
// A row at a time, with loops as long as each row's visible keys, ran at a few percent of the
// matrix-product peak: loop overhead and remainders dominate 8-wide heads.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>

#include "scir/core/float_loops.h"  // SCIR_ALWAYS_INLINE

namespace scir {

constexpr int64_t kTileRows = 4;
constexpr int64_t kKeyChunk = 16;
// Head widths go in steps of this many values (at most 8 lanes, so that 8-wide heads fill them).
constexpr int64_t kHeadStepMax = 8;

// `Lanes` floats in one register; Unaligned reads and writes them anywhere in a float array.
template <int Lanes>
struct FloatVector {
  typedef float Type __attribute__((vector_size(Lanes * sizeof(float))));
  typedef float Unaligned
      __attribute__((vector_size(Lanes * sizeof(float)), aligned(4), may_alias));
  static constexpr int kHeadStep = Lanes < kHeadStepMax ? Lanes : kHeadStepMax;
};

template <int Lanes>
SCIR_ALWAYS_INLINE typename FloatVector<Lanes>::Unaligned& vector_at(float* at) {
  return *reinterpret_cast<typename FloatVector<Lanes>::Unaligned*>(at);
}
template <int Lanes>
SCIR_ALWAYS_INLINE const typename FloatVector<Lanes>::Unaligned& vector_at(const float* at) {
  return *reinterpret_cast<const typename FloatVector<Lanes>::Unaligned*>(at);
}

// out[r][j] = sum_d rows[r][d] columns[d][j] for the tile's rows and the keys of chunks
// [chunk_begin, chunk_end). rows: [kTileRows][width]; columns: [width][padded_keys] (keys
// transposed); out: [kTileRows][padded_keys]. Scores (q k^T) and the weights' gradient (dO v^T).
template <int Lanes>
SCIR_ALWAYS_INLINE void tile_rows_times_columns(const float* rows, const float* columns,
                                                int64_t width, int64_t padded_keys,
                                                int64_t chunk_begin, int64_t chunk_end,
                                                float* out) {
  using Vector = typename FloatVector<Lanes>::Type;
  for (int64_t j0 = chunk_begin * kKeyChunk; j0 < chunk_end * kKeyChunk; j0 += Lanes) {
    Vector sums[kTileRows] = {};
    for (int64_t d = 0; d < width; ++d) {
      const Vector column = vector_at<Lanes>(columns + d * padded_keys + j0);
      for (int r = 0; r < kTileRows; ++r) sums[r] += rows[r * width + d] * column;
    }
    for (int r = 0; r < kTileRows; ++r) vector_at<Lanes>(out + r * padded_keys + j0) = sums[r];
  }
}

// out_rows[r][:width] = sum over keys j in [key_begin, key_end) of weights[r][j] values[j][:].
// weights: [kTileRows][padded_keys]; values: rows of `width` floats `value_stride` apart; width a
// multiple of kHeadStepMax. The context (P v) and the queries' gradient (dS k).
template <int Lanes>
SCIR_ALWAYS_INLINE void tile_weights_times_rows(const float* weights, int64_t padded_keys,
                                                const float* values, int64_t value_stride,
                                                int64_t width, int64_t key_begin, int64_t key_end,
                                                float* const* out_rows) {
  constexpr int kStep = FloatVector<Lanes>::kHeadStep;
  using Vector = typename FloatVector<kStep>::Type;
  for (int64_t d0 = 0; d0 < width; d0 += kStep) {
    // Even and odd keys in separate sums: twice the independent chains of additions, which
    // otherwise wait on each other's latency.
    Vector even[kTileRows] = {}, odd[kTileRows] = {};
    int64_t j = key_begin;
    for (; j + 1 < key_end; j += 2) {
      const Vector first = vector_at<kStep>(values + j * value_stride + d0);
      const Vector second = vector_at<kStep>(values + (j + 1) * value_stride + d0);
      for (int r = 0; r < kTileRows; ++r) {
        even[r] += weights[r * padded_keys + j] * first;
        odd[r] += weights[r * padded_keys + j + 1] * second;
      }
    }
    if (j < key_end) {
      const Vector last = vector_at<kStep>(values + j * value_stride + d0);
      for (int r = 0; r < kTileRows; ++r) even[r] += weights[r * padded_keys + j] * last;
    }
    for (int r = 0; r < kTileRows; ++r) vector_at<kStep>(out_rows[r] + d0) = even[r] + odd[r];
  }
}

// out[d][j] = sum over rows r of rows[r][d] weights[r][j] for the keys of chunk `chunk`, over the
// row tiles whose chunk range [tile_chunks[2i], tile_chunks[2i+1]) holds it (the other tiles'
// weights there are zero and not stored). rows: [tiles * kTileRows][width]; weights: [tiles *
// kTileRows][padded_keys]; out: [width][padded_keys]. The keys' (dS^T q) and values' (P^T dO)
// gradients, transposed.
template <int Lanes>
SCIR_ALWAYS_INLINE void tile_columns_of_transposed_product(const float* rows, const float* weights,
                                                           const int64_t* tile_chunks,
                                                           int64_t tiles, int64_t width,
                                                           int64_t padded_keys, int64_t chunk,
                                                           float* out) {
  using Vector = typename FloatVector<Lanes>::Type;
  for (int64_t j0 = chunk * kKeyChunk; j0 < (chunk + 1) * kKeyChunk; j0 += Lanes) {
    for (int64_t d0 = 0; d0 < width; d0 += kHeadStepMax) {
      Vector sums[kHeadStepMax] = {};
      for (int64_t tile = 0; tile < tiles; ++tile) {
        if (chunk < tile_chunks[2 * tile] || chunk >= tile_chunks[2 * tile + 1]) continue;
        for (int64_t r = tile * kTileRows; r < (tile + 1) * kTileRows; ++r) {
          const Vector weight = vector_at<Lanes>(weights + r * padded_keys + j0);
          const float* row = rows + r * width + d0;
          for (int d = 0; d < kHeadStepMax; ++d) sums[d] += row[d] * weight;
        }
      }
      for (int d = 0; d < kHeadStepMax; ++d) {
        vector_at<Lanes>(out + (d0 + d) * padded_keys + j0) = sums[d];
      }
    }
  }
}

enum class LaneCombine { largest, sum };

// A vector's lanes combined into one value, halving the vector each step: a chain of Lanes - 1
// dependent scalar operations was most of the softmax's time.
template <int Lanes, LaneCombine How>
SCIR_ALWAYS_INLINE float combine_lanes(typename FloatVector<Lanes>::Type v) {
  if constexpr (Lanes == 1) {
    return v[0];
  } else {
    typename FloatVector<Lanes / 2>::Type low, high;
    std::memcpy(&low, &v, sizeof low);
    std::memcpy(&high, reinterpret_cast<const char*>(&v) + sizeof low, sizeof high);
    if constexpr (How == LaneCombine::sum) return combine_lanes<Lanes / 2, How>(low + high);
    return combine_lanes<Lanes / 2, How>(high > low ? high : low);
  }
}

// softmax(x + bias) in place over the n values (a whole number of key chunks) of a tile's rows,
// rows[r] with bias_rows[r]: the rows' reductions run side by side, so their dependent chains
// overlap.
template <int Lanes>
SCIR_ALWAYS_INLINE void tile_softmax(float* const* rows, const float* const* bias_rows, int64_t n) {
  using Vector = typename FloatVector<Lanes>::Type;
  if (n == 0) return;
  // -inf in every lane (0 - inf), below any value.
  const Vector lowest = Vector{} - std::numeric_limits<float>::infinity();
  Vector tops[kTileRows];
  for (int r = 0; r < kTileRows; ++r) tops[r] = lowest;
  for (int64_t j = 0; j < n; j += Lanes) {
    for (int r = 0; r < kTileRows; ++r) {
      const Vector x = vector_at<Lanes>(rows[r] + j) + vector_at<Lanes>(bias_rows[r] + j);
      vector_at<Lanes>(rows[r] + j) = x;
      tops[r] = x > tops[r] ? x : tops[r];
    }
  }
  Vector sums[kTileRows] = {};
  for (int r = 0; r < kTileRows; ++r) {
    const float top = combine_lanes<Lanes, LaneCombine::largest>(tops[r]);
    for (int64_t j = 0; j < n; ++j) rows[r][j] -= top;
    exp_in_place(rows[r], n);
  }
  for (int64_t j = 0; j < n; j += Lanes) {
    for (int r = 0; r < kTileRows; ++r) sums[r] += vector_at<Lanes>(rows[r] + j);
  }
  for (int r = 0; r < kTileRows; ++r) {
    const float inverse = 1.0f / combine_lanes<Lanes, LaneCombine::sum>(sums[r]);
    for (int64_t j = 0; j < n; ++j) rows[r][j] *= inverse;
  }
}

}  // namespace scir
