#include "ratio_reporter.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

namespace crm::bench {
namespace {

double MedianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The malloc this process runs on: jemalloc answers mallctl("version"), glibc has no mallctl.
std::string AllocatorName() {
  using MallctlFn = int (*)(const char*, void*, size_t*, void*, size_t);
  auto mallctl = reinterpret_cast<MallctlFn>(dlsym(RTLD_DEFAULT, "mallctl"));
  if (mallctl == nullptr) return "glibc malloc";
  const char* version = nullptr;
  size_t len = sizeof version;
  if (mallctl("version", &version, &len, nullptr, 0) != 0 || version == nullptr) return "jemalloc";
  return std::string("jemalloc ") + version;
}

// 1234567 -> "1.23M"; 45678 -> "45.7k".
std::string Human(double v) {
  char buf[32];
  if (v >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  } else if (v >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  }
  return buf;
}

}  // namespace

std::string RateCollector::RateKey(const Run& run) {
  const auto& name = run.run_name;
  return name.threads.empty() ? name.function_name : name.function_name + "/" + name.threads;
}

void RateCollector::Add(const Run& run) {
  Entry& e = entries_[RateKey(run)];
  if (run.error_occurred) {
    if (e.error.empty()) e.error = run.error_message.empty() ? "error" : run.error_message;
    return;
  }
  auto it = run.counters.find("items_per_second");
  if (it == run.counters.end()) return;
  if (run.run_type == Run::RT_Aggregate) {
    if (run.aggregate_name == "median") {
      e.median_aggregate = it->second.value;
      e.repetitions = static_cast<int>(run.repetitions);
    }
  } else {
    e.runs.push_back(it->second.value);
  }
}

std::optional<double> RateCollector::Median(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.error.empty()) return std::nullopt;
  if (it->second.median_aggregate) return it->second.median_aggregate;
  if (it->second.runs.empty()) return std::nullopt;
  return MedianOf(it->second.runs);
}

int RateCollector::Repetitions(const std::string& key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  return it->second.median_aggregate ? it->second.repetitions
                                     : static_cast<int>(it->second.runs.size());
}

std::string RateCollector::Error(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? std::string() : it->second.error;
}

SummaryText EventStoreSummaryText() {
  return {"crm event store vs raw RocksDB: ratios of MEDIAN events/s",
          {"durability: sync = fsync per write group (WriteOptions::sync=true; the engine fsyncs "
           "once per group commit),",
           "            nosync = written to the WAL without fsync (survives a process crash, not a "
           "power loss).",
           "payload: 256 bytes per event (AccountNoteAdded.text / raw value), fresh DB per run."},
          "events/s"};
}

int PrintSummary(std::ostream& out, const std::string& command_line, const RateCollector& rates,
                 const std::vector<RatioLine>& lines, const SummaryText& text) {
  int missed = 0;
  char buf[512];
  out << "\n=== " << text.title << " ===\n"
      << "command: " << command_line << "\n"
      << "allocator: " << AllocatorName() << " (both sides of every ratio run in this process)\n";
  for (const auto& note : text.notes) out << note << "\n";
  out << "\n";
  std::snprintf(buf, sizeof buf, "%-52s %11s %11s %8s %8s  %s\n", "comparison", "measured",
                "baseline", "ratio", "target", "result");
  out << buf;
  for (const auto& line : lines) {
    const auto num = rates.Median(line.numerator);
    const auto den = rates.Median(line.denominator);
    const auto fmt_ratio = [&line](double r) {
      char b[32];
      if (line.as_factor) {
        std::snprintf(b, sizeof b, "%.1fx", r);
      } else if (r < 0.01) {  // "0%" would hide how far below 1% it is
        std::snprintf(b, sizeof b, "%.2f%%", r * 100);
      } else {
        std::snprintf(b, sizeof b, "%.0f%%", r * 100);
      }
      return std::string(b);
    };
    const std::string target =
        line.target > 0 ? ">=" + fmt_ratio(line.target) : std::string("(ref)");
    if (!num || !den || *den <= 0) {
      // A failed benchmark misses its target; one left out by --benchmark_filter does not.
      std::string why;
      bool failed = false;
      for (const auto* key : {&line.numerator, &line.denominator}) {
        std::string err = rates.Error(*key);
        if (!err.empty()) {
          failed = true;
          why += " " + *key + " FAILED: " + err + ";";
        } else if (!rates.Median(*key)) {
          why += " " + *key + " not run;";
        }
      }
      const char* verdict = "n/a";
      if (line.target > 0 && failed) {
        verdict = "MISS (failed)";
        ++missed;
      }
      std::snprintf(buf, sizeof buf, "%-52s %11s %11s %8s %8s  %s\n", line.label.c_str(),
                    num ? Human(*num).c_str() : "-", den ? Human(*den).c_str() : "-", "-",
                    target.c_str(), verdict);
      out << buf;
      if (!why.empty()) out << "    ->" << why << "\n";
      continue;
    }
    const double ratio = *num / *den;
    const char* verdict = "";
    if (line.target > 0) {
      verdict = ratio >= line.target ? "PASS" : "MISS";
      if (ratio < line.target) ++missed;
    }
    std::snprintf(buf, sizeof buf, "%-52s %11s %11s %8s %8s  %s\n", line.label.c_str(),
                  Human(*num).c_str(), Human(*den).c_str(), fmt_ratio(ratio).c_str(),
                  target.c_str(), verdict);
    out << buf;
  }
  int reps = 0;
  for (const auto& line : lines) {
    reps = std::max({reps, rates.Repetitions(line.numerator), rates.Repetitions(line.denominator)});
  }
  out << "\nmeasured/baseline in " << text.unit << " (medians over " << reps
      << " repetition(s)); ratio = measured / baseline; (ref) lines have no target.\n"
      << missed << " target(s) missed.\n";
  return missed;
}

bool TakeCountFlags(const char* program, int argc, char** argv,
                    std::initializer_list<CountFlag> flags, std::vector<std::string>* rest) {
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    const CountFlag* flag = nullptr;
    for (const CountFlag& f : flags) {
      if (a.rfind(f.name, 0) == 0) flag = &f;
    }
    if (flag == nullptr) {
      rest->push_back(a);
      continue;
    }
    const std::string text = a.substr(flag->name.size());
    size_t used = 0;
    try {
      *flag->value = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size()) {
      std::cerr << program << ": bad value in " << a << "\n";
      return false;
    }
  }
  return true;
}

bool HasFlag(const std::vector<std::string>& args, std::string_view prefix) {
  for (const auto& a : args) {
    if (a.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

std::string FlagValue(const std::vector<std::string>& args, std::string_view prefix) {
  std::string value;
  for (const auto& a : args) {
    if (a.rfind(prefix, 0) == 0) value = a.substr(prefix.size());  // the last one wins
  }
  return value;
}

std::ostream* RunBenchmarks(const char* program, std::vector<std::string>& args,
                            int default_repetitions, const std::function<void()>& register_all,
                            RateCollector* rates, bool interleave) {
  if (interleave && !HasFlag(args, "--benchmark_enable_random_interleaving")) {
    args.push_back("--benchmark_enable_random_interleaving=true");
  }
  if (!HasFlag(args, "--benchmark_repetitions")) {
    args.push_back("--benchmark_repetitions=" + std::to_string(default_repetitions));
  }
  if (!HasFlag(args, "--benchmark_report_aggregates_only") &&
      !HasFlag(args, "--benchmark_display_aggregates_only")) {
    args.push_back("--benchmark_report_aggregates_only=true");
  }
  const std::string format = FlagValue(args, "--benchmark_format=");
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  int cargc = static_cast<int>(args.size());
  benchmark::Initialize(&cargc, cargs.data());
  if (benchmark::ReportUnrecognizedArguments(cargc, cargs.data())) return nullptr;
  register_all();

  std::unique_ptr<benchmark::BenchmarkReporter> display;
  if (format == "json") {
    display = std::make_unique<CollectingReporter<benchmark::JSONReporter>>(rates);
  } else if (format.empty() || format == "console") {
    const auto opts = isatty(fileno(stdout)) ? benchmark::ConsoleReporter::OO_Color
                                             : benchmark::ConsoleReporter::OO_None;
    display = std::make_unique<CollectingReporter<benchmark::ConsoleReporter>>(rates, opts);
  } else {
    std::cerr << program << ": --benchmark_format=" << format
              << " is not supported (console or json)\n";
    return nullptr;
  }
  benchmark::RunSpecifiedBenchmarks(display.get());
  benchmark::Shutdown();
  // JSON on stdout stays machine-readable: the summary then goes to stderr.
  return format == "json" ? &std::cerr : &std::cout;
}

}  // namespace crm::bench
