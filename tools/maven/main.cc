// crm-maven: prints the crm commands (JSON Lines) that load the Maven Analytics CRM sample
// dataset, for `crm exec`. Usage: crm-maven [DATA_DIR] > maven.jsonl; crm exec maven.jsonl
// The counts go to stderr as one JSON line, so stdout stays a clean command stream.
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/maven/maven.h"

int main(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")))) {
    std::fprintf(stderr,
                 "usage: crm-maven [DATA_DIR]\n"
                 "Prints the crm commands that load the Maven CRM dataset (accounts.csv,\n"
                 "products.csv, sales_teams.csv, sales_pipeline.csv in DATA_DIR, default\n"
                 "../shared/data/maven-crm) as JSON Lines on stdout, for `crm exec`.\n");
    return argc == 2 ? 0 : 2;
  }
  const std::string dir = argc == 2 ? argv[1] : "../shared/data/maven-crm";
  std::string buffer;
  auto counts = crm::maven::Convert(dir, [&buffer](std::string_view line) {
    buffer.append(line);
    buffer.push_back('\n');
    if (buffer.size() > (1 << 16)) {
      std::fwrite(buffer.data(), 1, buffer.size(), stdout);
      buffer.clear();
    }
  });
  if (!counts.ok()) {
    std::fprintf(stderr, "crm-maven: %s\n", counts.status().message().c_str());
    return 2;
  }
  std::fwrite(buffer.data(), 1, buffer.size(), stdout);
  if (std::fflush(stdout) != 0) {
    std::perror("crm-maven: writing stdout");
    return 4;
  }
  const auto& c = *counts;
  std::fprintf(stderr,
               "{\"users\":%llu,\"accounts\":%llu,\"opportunities\":%llu,\"won\":%llu,"
               "\"lost\":%llu,\"leads\":%llu,\"commands\":%llu}\n",
               static_cast<unsigned long long>(c.users), static_cast<unsigned long long>(c.accounts),
               static_cast<unsigned long long>(c.opportunities),
               static_cast<unsigned long long>(c.won), static_cast<unsigned long long>(c.lost),
               static_cast<unsigned long long>(c.leads),
               static_cast<unsigned long long>(c.commands));
  return 0;
}
