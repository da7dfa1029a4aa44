// SegmentWriter's buffered appends against real files: where the bytes
// are (memory or file) after each step, and that every way out of the
// buffer keeps the file's order and leaves no zeros where it must not.
#include <filesystem>
#include <string>

#include <doctest/doctest.h>

#include "cerebrum/segment_writer.h"
#include "tests/support/test_support.h"

namespace kopf::cerebrum {
namespace {

namespace fs = std::filesystem;
using testing::ReadTextFile;

// The file without the zeros written ahead of its commits.
std::string Committed(const fs::path& file) {
  std::string text = ReadTextFile(file);
  text.erase(text.find_last_not_of('\0') + 1);
  return text;
}

std::unique_ptr<SegmentWriter> OpenWriter(const fs::path& path) {
  auto writer = SegmentWriter::Open(path, "_seq,_op,k", /*preallocate_bytes=*/4096);
  REQUIRE_MESSAGE(writer.ok(), writer.status().ToString());
  return std::move(writer).value();
}

TEST_SUITE("cerebrum/segment_writer") {
  TEST_CASE("buffered appends reach the file at the next flush, in order with direct appends") {
    testing::TempDir tmp;
    const fs::path path = tmp.path() / "segment-000001.csv";
    auto writer = OpenWriter(path);
    const std::string header = "_seq,_op,k\n";

    REQUIRE(writer->AppendBuffered("1,put,a\n1,commit,\n").ok());
    CHECK(writer->size() == header.size() + 18);  // counted at once...
    CHECK(Committed(path) == header);             // ...written later
    CHECK(fs::file_size(path) == 4096);           // its room is taken now

    // A direct append writes what is buffered first.
    REQUIRE(writer->Append("2,put,b\n2,commit,\n").ok());
    CHECK(Committed(path) == header + "1,put,a\n1,commit,\n2,put,b\n2,commit,\n");

    REQUIRE(writer->AppendBuffered("3,put,c\n3,commit,\n").ok());
    REQUIRE(writer->AppendBuffered("4,put,d\n4,commit,\n").ok());
    REQUIRE(writer->Sync().ok());
    const std::string four =
        header + "1,put,a\n1,commit,\n2,put,b\n2,commit,\n3,put,c\n3,commit,\n4,put,d\n4,commit,\n";
    CHECK(Committed(path) == four);
    CHECK(writer->size() == four.size());

    // Sealing flushes and cuts the zeros: the file is exactly its commits.
    REQUIRE(writer->AppendBuffered("5,put,e\n5,commit,\n").ok());
    REQUIRE(writer->Seal().ok());
    CHECK(ReadTextFile(path) == four + "5,put,e\n5,commit,\n");
  }

  TEST_CASE("a buffered append larger than the room written ahead takes more room at once") {
    testing::TempDir tmp;
    const fs::path path = tmp.path() / "segment-000001.csv";
    auto writer = OpenWriter(path);
    const std::string line = "1,put," + std::string(6000, 'x') + "\n1,commit,\n";
    REQUIRE(writer->AppendBuffered(line).ok());
    CHECK(fs::file_size(path) >= writer->size());  // zeros up to its end, and past it
    CHECK(Committed(path) == "_seq,_op,k\n");
    REQUIRE(writer->Flush().ok());
    CHECK(Committed(path) == "_seq,_op,k\n" + line);
  }

  TEST_CASE("closing a writer writes what is buffered and cuts the zeros") {
    testing::TempDir tmp;
    const fs::path path = tmp.path() / "segment-000001.csv";
    {
      auto writer = OpenWriter(path);
      REQUIRE(writer->AppendBuffered("1,put,a\n1,commit,\n").ok());
    }
    CHECK(ReadTextFile(path) == "_seq,_op,k\n1,put,a\n1,commit,\n");
    // And a writer opened on it appends after its last commit.
    auto writer = OpenWriter(path);
    REQUIRE(writer->AppendBuffered("2,put,b\n2,commit,\n").ok());
    REQUIRE(writer->Sync().ok());
    CHECK(Committed(path) == "_seq,_op,k\n1,put,a\n1,commit,\n2,put,b\n2,commit,\n");
  }
}

}  // namespace
}  // namespace kopf::cerebrum
