#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "scir/core/config.h"

namespace scir {
namespace {

OptionSet training_options() {
  OptionSet options("run");
  options.add_double("train.beta", 0.1, "DPO beta")
      .add_double("train.lr", 1e-6, "learning rate")
      .add_int("train.epochs", 1, "epochs")
      .add_string("method", "scir", "method")
      .add_bool("train.shuffle", true, "shuffle pairs");
  return options;
}

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

std::string input_error_of(OptionSet& options, const std::vector<std::string>& args) {
  try {
    options.parse(args);
  } catch (const InputError& error) {
    return error.what();
  }
  return "<no error>";
}

TEST(OptionSet, DefaultsWhenNothingIsGiven) {
  OptionSet options = training_options();
  options.parse({});
  EXPECT_DOUBLE_EQ(options.get_double("train.beta"), 0.1);
  EXPECT_DOUBLE_EQ(options.get_double("train.lr"), 1e-6);
  EXPECT_EQ(options.get_int("train.epochs"), 1);
  EXPECT_EQ(options.get_string("method"), "scir");
  EXPECT_TRUE(options.get_bool("train.shuffle"));
  EXPECT_FALSE(options.was_set("train.beta"));
}

// The embedded default configuration sets values without the user giving them: was_set says
// a value is not the declared default, was_given that the user chose it.
TEST(OptionSet, WasGivenTellsTheUsersChoicesFromTheEmbeddedDefaults) {
  const std::string embedded = write_file("embedded.ini", "[train]\nbeta = 0.25\nlr = 0.5\n");
  OptionSet options = training_options();
  options.set_default_config(embedded);
  options.parse({"--train.lr", "0.003", "--train.epochs", "2"});
  EXPECT_TRUE(options.was_set("train.beta"));
  EXPECT_FALSE(options.was_given("train.beta"));  // from the embedded file only
  EXPECT_TRUE(options.was_given("train.lr"));     // the command line over the embedded file
  EXPECT_TRUE(options.was_given("train.epochs"));
  EXPECT_FALSE(options.was_given("method"));
  // A --config of the user's replaces the embedded one: what it sets is given.
  const std::string mine = write_file("mine.ini", "[train]\nbeta = 0.5\n");
  OptionSet with_file = training_options();
  with_file.set_default_config(embedded);
  with_file.parse({"--config", mine});
  EXPECT_TRUE(with_file.was_given("train.beta"));
  EXPECT_FALSE(with_file.was_set("train.lr"));
}

TEST(OptionSet, CommandLineWinsOverFileWhichWinsOverDefault) {
  const std::string ini = write_file(
      "precedence.ini", "method = srlm\n[train]\nbeta = 0.25\nlr = 0.5\nshuffle = off\n");
  OptionSet options = training_options();
  options.parse({"--config", ini, "--train.lr", "0.003", "--method", "scir_no_cons"});
  EXPECT_DOUBLE_EQ(options.get_double("train.lr"), 0.003);   // command line over file
  EXPECT_DOUBLE_EQ(options.get_double("train.beta"), 0.25);  // file over default
  EXPECT_EQ(options.get_string("method"), "scir_no_cons");
  EXPECT_FALSE(options.get_bool("train.shuffle"));
  EXPECT_EQ(options.get_int("train.epochs"), 1);  // default
  EXPECT_TRUE(options.was_set("train.beta"));
  EXPECT_FALSE(options.was_set("train.epochs"));
}

TEST(OptionSet, BareFlagMeansTrue) {
  OptionSet options = training_options();
  const std::string ini = write_file("flag.ini", "[train]\nshuffle = false\n");
  options.parse({"--config", ini, "--train.shuffle"});
  EXPECT_TRUE(options.get_bool("train.shuffle"));
}

TEST(OptionSet, DumpedIniReadsBackToTheSameValues) {
  OptionSet first = training_options();
  first.parse({"--train.beta", "0.3", "--method", "oracle", "--train.shuffle", "false"});
  const std::string dumped = first.dump_ini();
  EXPECT_NE(dumped.find("method = oracle\n"), std::string::npos);
  EXPECT_NE(dumped.find("[train]\nbeta = 0.3\n"), std::string::npos);
  OptionSet second = training_options();
  second.parse({"--config", write_file("dumped.ini", dumped)});
  EXPECT_DOUBLE_EQ(second.get_double("train.beta"), 0.3);
  EXPECT_DOUBLE_EQ(second.get_double("train.lr"), 1e-6);
  EXPECT_EQ(second.get_string("method"), "oracle");
  EXPECT_FALSE(second.get_bool("train.shuffle"));
  EXPECT_EQ(second.dump_ini(), dumped);
}

TEST(OptionSet, UnknownOptionOnCommandLine) {
  OptionSet options = training_options();
  EXPECT_EQ(input_error_of(options, {"--train.nope", "1"}), "unknown option '--train.nope'");
}

TEST(OptionSet, UnknownOptionInFileNamesTheFile) {
  const std::string ini = write_file("unknown.ini", "[train]\nnope = 1\n");
  OptionSet options = training_options();
  EXPECT_EQ(input_error_of(options, {"--config", ini}), ini + ": unknown option 'train.nope'");
}

TEST(OptionSet, BadNumberNamesOptionAndValue) {
  OptionSet options = training_options();
  EXPECT_EQ(input_error_of(options, {"--train.beta", "abc"}),
            "option '--train.beta': expected a finite number, got 'abc'");
  OptionSet integer = training_options();
  EXPECT_EQ(input_error_of(integer, {"--train.epochs", "1.5"}),
            "option '--train.epochs': expected an integer, got '1.5'");
  OptionSet flag = training_options();
  EXPECT_EQ(input_error_of(flag, {"--train.shuffle", "maybe"}),
            "option '--train.shuffle': expected true or false, got 'maybe'");
}

TEST(OptionSet, BadValueInFileIsReportedToo) {
  const std::string ini = write_file("badvalue.ini", "[train]\nbeta = nan\n");
  OptionSet options = training_options();
  EXPECT_EQ(input_error_of(options, {"--config", ini}),
            "option '--train.beta': expected a finite number, got 'nan'");
}

TEST(OptionSet, MissingConfigFile) {
  OptionSet options = training_options();
  EXPECT_EQ(input_error_of(options, {"--config", "/nonexistent/x.ini"}),
            "--config: cannot open '/nonexistent/x.ini' (expected a readable INI file)");
}

TEST(OptionSet, MissingValueAndStrayArgument) {
  OptionSet options = training_options();
  EXPECT_EQ(input_error_of(options, {"--train.beta"}),
            "option '--train.beta': expected a value after it");
  OptionSet stray = training_options();
  EXPECT_EQ(input_error_of(stray, {"stray"}),
            "unexpected argument 'stray' (options are --name value)");
}

TEST(OptionSet, RequiredOptionMustBeGiven) {
  OptionSet options("score");
  options.add_required_string("model", "model directory");
  EXPECT_EQ(input_error_of(options, {}),
            "option '--model' is required (see 'scir_hpc score --help')");
}

TEST(OptionSet, ExistingFileIsChecked) {
  OptionSet options("score");
  options.add_string("input", "", "input file");
  options.parse({"--input", "/nonexistent/prompts.jsonl"});
  try {
    options.existing_file("input");
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_STREQ(error.what(),
                 "option '--input': cannot open file '/nonexistent/prompts.jsonl' (expected a "
                 "readable file)");
  }
}

TEST(OptionSet, HelpListsSectionedOptions) {
  OptionSet options = training_options();
  options.parse({"--help"});
  EXPECT_TRUE(options.help_requested());
  EXPECT_NE(options.help_text().find("--train.beta"), std::string::npos);
}

}  // namespace
}  // namespace scir
