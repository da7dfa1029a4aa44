// sync_bench: what one durable small write costs on the disk under a folder.
//
//   sync_bench [--dir DIR] [--bytes N] [--writes N] [--rounds N]
//
// Each write is N bytes (default 64, about one single-row commit) followed
// by a flush, the way a commit is made durable. The methods, run one after
// another in every round (so they share the machine's load), are:
//
//   append+fsync          write(2) at the end of a growing file, fsync
//   append+fdatasync      the same with fdatasync: the size still changes,
//                         so the file system journals the inode anyway
//   overwrite+fdatasync   pwrite(2) inside a preallocated file whose zeros
//                         were written and fsync'ed first: no size or
//                         block-map change, only the data block goes out
//   fallocate+fdatasync   pwrite(2) inside space reserved with fallocate
//                         (KEEP_SIZE off): unwritten extents turn written,
//                         which is metadata again
//   append O_DSYNC        write(2) on a descriptor opened with O_DSYNC
//   overwrite O_DSYNC     pwrite(2) inside the preallocated file, O_DSYNC
//
// Printed per method: the p10, median and p90 latency of one write+flush over
// all rounds, writes/s from the median, and the block device's write and
// flush requests per write+flush (from /proc/diskstats, which counts the
// whole device: other processes' I/O meanwhile adds to it, so compare
// methods measured in the same sitting). The file is removed afterwards.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::exit(1);
}

struct Config {
  std::filesystem::path dir = ".";
  size_t bytes = 64;
  int writes = 500;
  int rounds = 3;
};

enum class Flush { kFsync, kFdatasync, kNone };

// One method: how the file is prepared, and how each write lands.
struct Method {
  const char* name;
  bool preallocate_zeros;  // write and fsync zeros over the whole file first
  bool fallocate;          // reserve the space with fallocate(2) instead
  bool dsync;              // open with O_DSYNC
  bool overwrite;          // pwrite at increasing offsets, else append
  Flush flush;
};

void WriteAll(int fd, const char* data, size_t size, off_t offset, bool positioned) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = positioned ? ::pwrite(fd, data + done, size - done, offset + done)
                           : ::write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) Die("write");
    done += static_cast<size_t>(n);
  }
}

// Write and flush requests completed so far by the device holding `dir`
// (whole disk or partition, as /proc/diskstats names it); zeros when it
// cannot be found.
struct DeviceCounts {
  double writes = 0;
  double flushes = 0;
};

DeviceCounts ReadDeviceCounts(const std::filesystem::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return {};
  std::ifstream in("/proc/diskstats");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    unsigned major_number = 0, minor_number = 0;
    std::string name;
    fields >> major_number >> minor_number >> name;
    if (major_number != major(st.st_dev) || minor_number != minor(st.st_dev)) continue;
    // After the name: reads (4 fields), writes completed, merged, sectors,
    // ms, in flight, io ms, weighted ms, discards (4), flushes, flush ms.
    std::vector<double> values;
    double value = 0;
    while (fields >> value) values.push_back(value);
    DeviceCounts counts;
    if (values.size() > 4) counts.writes = values[4];
    if (values.size() > 15) counts.flushes = values[15];
    return counts;
  }
  return {};
}

// Latencies in microseconds of `config.writes` write+flush pairs.
// Adds the device requests seen meanwhile to `device`.
std::vector<double> Run(const Config& config, const Method& method, DeviceCounts* device) {
  std::filesystem::path path = config.dir / "sync_bench.tmp";
  std::filesystem::remove(path);
  const size_t total = config.bytes * static_cast<size_t>(config.writes);
  {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) Die("open");
    if (method.preallocate_zeros) {
      std::string zeros(total + 4096, '\0');
      WriteAll(fd, zeros.data(), zeros.size(), 0, true);
    } else if (method.fallocate) {
      if (::fallocate(fd, 0, 0, static_cast<off_t>(total + 4096)) != 0) Die("fallocate");
    }
    if (::fsync(fd) != 0) Die("fsync");
    ::close(fd);
    int dir = ::open(config.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0 || ::fsync(dir) != 0) Die("fsync of the folder");
    ::close(dir);
  }
  int flags = O_WRONLY | O_CLOEXEC | (method.overwrite ? 0 : O_APPEND) | (method.dsync ? O_DSYNC : 0);
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) Die("open");
  std::string line(config.bytes - 1, 'x');
  line += '\n';
  std::vector<double> micros;
  micros.reserve(static_cast<size_t>(config.writes));
  DeviceCounts before = ReadDeviceCounts(config.dir);
  for (int i = 0; i < config.writes; ++i) {
    auto start = Clock::now();
    WriteAll(fd, line.data(), line.size(), static_cast<off_t>(i * config.bytes), method.overwrite);
    if (method.flush == Flush::kFsync && ::fsync(fd) != 0) Die("fsync");
    if (method.flush == Flush::kFdatasync && ::fdatasync(fd) != 0) Die("fdatasync");
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  DeviceCounts after = ReadDeviceCounts(config.dir);
  device->writes += after.writes - before.writes;
  device->flushes += after.flushes - before.flushes;
  ::close(fd);
  std::filesystem::remove(path);
  return micros;
}

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  return values[static_cast<size_t>(p * static_cast<double>(values.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--dir") {
      config.dir = argv[i + 1];
    } else if (flag == "--bytes") {
      config.bytes = std::max<size_t>(2, std::strtoul(argv[i + 1], nullptr, 10));
    } else if (flag == "--writes") {
      config.writes = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--rounds") {
      config.rounds = std::max(1, std::atoi(argv[i + 1]));
    } else {
      std::fprintf(stderr, "usage: sync_bench [--dir DIR] [--bytes N] [--writes N] [--rounds N]\n");
      return 2;
    }
  }
  const std::vector<Method> methods = {
      {"append+fsync", false, false, false, false, Flush::kFsync},
      {"append+fdatasync", false, false, false, false, Flush::kFdatasync},
      {"overwrite+fdatasync", true, false, false, true, Flush::kFdatasync},
      {"fallocate+fdatasync", false, true, false, true, Flush::kFdatasync},
      {"append O_DSYNC", false, false, true, false, Flush::kNone},
      {"overwrite O_DSYNC", true, false, true, true, Flush::kNone},
  };
  std::vector<std::vector<double>> all(methods.size());
  std::vector<DeviceCounts> device(methods.size());
  for (int round = 0; round < config.rounds; ++round) {
    for (size_t m = 0; m < methods.size(); ++m) {
      std::vector<double> micros = Run(config, methods[m], &device[m]);
      all[m].insert(all[m].end(), micros.begin(), micros.end());
    }
  }
  std::printf("%zu-byte writes, %d per method and round, %d rounds, in %s\n", config.bytes,
              config.writes, config.rounds, std::filesystem::absolute(config.dir).c_str());
  std::printf("%-22s %10s %10s %10s %10s %12s %12s\n", "method", "p10 us", "p50 us", "p90 us", "writes/s",
              "dev writes", "dev flushes");
  for (size_t m = 0; m < methods.size(); ++m) {
    double median = Percentile(all[m], 0.5);
    const double n = static_cast<double>(all[m].size());
    std::printf("%-22s %10.1f %10.1f %10.1f %10.0f %12.2f %12.2f\n", methods[m].name,
                Percentile(all[m], 0.1), median,
                Percentile(all[m], 0.9), 1e6 / median, device[m].writes / n, device[m].flushes / n);
  }
  return 0;
}
