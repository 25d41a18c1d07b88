#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "scir/core/errors.h"
#include "scir/io/h5_group.h"

namespace scir {
namespace {

TEST(H5Group, EveryKindOfColumnAndAttributeRoundTrips) {
  const std::string file = ::testing::TempDir() + "h5_group_round_trip.h5";
  std::filesystem::remove(file);
  H5Group group;
  group.columns["logp"] = {-1.5, NAN, 0.25};
  group.text_columns["text"] = {"0 1 2", "", "caf\xc3\xa9\nline"};
  group.token_columns["tokens"] = {{1, 2, 3}, {}, {258, -1}};
  group.numbers["acc"] = 0.75;
  group.texts["note"] = "hello";
  group.texts["blank"] = "";
  write_h5_group(file, "/iter_1/pairs", group);
  const H5Group back = read_h5_group(file, "/iter_1/pairs");
  ASSERT_EQ(back.columns.at("logp").size(), 3u);
  EXPECT_EQ(back.columns.at("logp")[0], -1.5);
  EXPECT_TRUE(std::isnan(back.columns.at("logp")[1]));
  EXPECT_EQ(back.text_columns.at("text"), group.text_columns.at("text"));
  EXPECT_EQ(back.token_columns.at("tokens"), group.token_columns.at("tokens"));
  EXPECT_EQ(back.numbers.at("acc"), 0.75);
  EXPECT_EQ(back.texts, group.texts);
  // Rewriting a group replaces it; an empty group keeps its (empty) columns.
  H5Group empty;
  empty.text_columns["text"] = {};
  empty.token_columns["tokens"] = {};
  write_h5_group(file, "/iter_1/pairs", empty);
  const H5Group again = read_h5_group(file, "/iter_1/pairs");
  EXPECT_TRUE(again.columns.empty());
  EXPECT_TRUE(again.text_columns.at("text").empty());
  EXPECT_TRUE(again.token_columns.at("tokens").empty());
}

TEST(H5Group, ColumnsOfUnequalLengthAreRefused) {
  const std::string file = ::testing::TempDir() + "h5_group_unequal.h5";
  H5Group group;
  group.columns["a"] = {1, 2};
  group.text_columns["b"] = {"x"};
  EXPECT_THROW(write_h5_group(file, "/g", group), InternalError);
}

}  // namespace
}  // namespace scir
