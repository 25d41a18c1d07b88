// Options declared once: the same binding declares options with the fields' values as defaults
// and reads them back into fields, refusing values out of range and unknown names in one line.
#include <gtest/gtest.h>

#include "scir/core/option_binding.h"

namespace scir {
namespace {

enum class Colour { kRed, kGreen };

struct Settings {
  double rate = 0.5;
  int count = 3;
  int64_t big = 7;
  bool on = true;
  std::string name = "x";
  Colour colour = Colour::kGreen;
};

void bind(OptionBinder& binder, Settings& settings) {
  binder.number("a.rate", settings.rate, "a rate", OptionRange::above(0, "a number > 0"))
      .integer("a.count", settings.count, "a count", OptionRange::within(1, 5, "1..5"))
      .integer("a.big", settings.big, "a big count")
      .flag("a.on", settings.on, "a switch")
      .text("a.name", settings.name, "a name")
      .choice("a.colour", settings.colour, {{"red", Colour::kRed}, {"green", Colour::kGreen}},
              "a colour");
}

OptionSet declared() {
  OptionSet options("test");
  Settings defaults;
  OptionBinder declaring = OptionBinder::declaring(options);
  bind(declaring, defaults);
  return options;
}

Settings read(const std::vector<std::string>& args) {
  OptionSet options = declared();
  options.parse(args);
  Settings settings;
  settings.rate = settings.count = -1;  // reading overwrites every field
  OptionBinder reading = OptionBinder::reading(options);
  bind(reading, settings);
  return settings;
}

std::string error_of(const std::vector<std::string>& args) {
  try {
    read(args);
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

TEST(OptionBinding, DefaultsAreTheFieldsValues) {
  const Settings settings = read({});
  EXPECT_EQ(settings.rate, 0.5);
  EXPECT_EQ(settings.count, 3);
  EXPECT_EQ(settings.big, 7);
  EXPECT_TRUE(settings.on);
  EXPECT_EQ(settings.name, "x");
  EXPECT_EQ(settings.colour, Colour::kGreen);
  EXPECT_NE(declared().help_text().find("a colour: red or green"), std::string::npos);
}

TEST(OptionBinding, GivenValuesFillTheFields) {
  const Settings settings = read({"--a.rate", "0.25", "--a.count", "5", "--a.big", "9000000000",
                                  "--a.on", "false", "--a.name", "y", "--a.colour", "red"});
  EXPECT_EQ(settings.rate, 0.25);
  EXPECT_EQ(settings.count, 5);
  EXPECT_EQ(settings.big, 9000000000);
  EXPECT_FALSE(settings.on);
  EXPECT_EQ(settings.name, "y");
  EXPECT_EQ(settings.colour, Colour::kRed);
}

TEST(OptionBinding, OutOfRangeAndUnknownNamesAreOneLineErrors) {
  EXPECT_EQ(error_of({"--a.rate", "0"}), "option '--a.rate': expected a number > 0, got '0'");
  EXPECT_EQ(error_of({"--a.count", "6"}), "option '--a.count': expected 1..5, got '6'");
  EXPECT_EQ(error_of({"--a.colour", "blue"}),
            "option '--a.colour': expected red or green, got 'blue'");
}

TEST(OptionBinding, ReadChoiceAndListsOfNames) {
  OptionSet options = declared();
  options.parse({"--a.name", "green"});
  const OptionNames<int> names = {{"red", 1}, {"green", 2}};
  EXPECT_EQ(read_choice(options, "a.name", names), 2);
  EXPECT_EQ(list_of_names({"a"}), "a");
  EXPECT_EQ(list_of_names({"a", "b", "c"}), "a, b or c");
}

}  // namespace
}  // namespace scir
