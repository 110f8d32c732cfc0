// The packed keys merge reads: what is encoded decodes to the same events, across chunk
// boundaries, negative and large time steps and delivery-basis minutes; damage is an error.
#include "store/input_keys.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace trailreplay::store {
namespace {

std::vector<KeyedEvent> Events(std::size_t n) {
  std::vector<KeyedEvent> events;
  for (std::size_t i = 0; i < n; ++i) {
    KeyedEvent e;
    e.key = KeyOfEventId("id-" + std::to_string(i));
    // Out of order, across hours, and before the epoch now and then.
    e.event_time = 1709251200 + static_cast<std::int64_t>((i * 7919) % 100000) -
                   (i % 97 == 0 ? 1800000000 : 0);
    // The counted minute: eventTime's, or (delivery basis) minutes later.
    e.minute =
        (e.event_time - ((e.event_time % 60) + 60) % 60) + 60 * static_cast<std::int64_t>(i % 5);
    events.push_back(e);
  }
  return events;
}

std::string Blob(const KeyChunkWriter& writer) {
  std::string blob;
  for (std::size_t c = 0; c < writer.chunks(); ++c) blob += writer.chunk(c);
  return blob;
}

TEST(InputKeysTest, RoundTripsAcrossChunks) {
  const auto events = Events(KeyChunkWriter::kChunkEvents * 2 + 10);
  KeyChunkWriter writer;
  for (const auto& e : events) writer.Add(e);
  ASSERT_EQ(writer.chunks(), 3u);
  auto decoded = DecodeKeys(Blob(writer));
  ASSERT_TRUE(decoded) << decoded.error().message;
  ASSERT_EQ(decoded->size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_TRUE((*decoded)[i].key == events[i].key) << i;
    EXPECT_EQ((*decoded)[i].event_time, events[i].event_time) << i;
    EXPECT_EQ((*decoded)[i].minute, events[i].minute) << i;
  }
  // About 18 bytes an event.
  EXPECT_LT(Blob(writer).size(), events.size() * 22);
}

TEST(InputKeysTest, EachChunkDecodesAlone) {
  const auto events = Events(KeyChunkWriter::kChunkEvents + 3);
  KeyChunkWriter writer;
  for (const auto& e : events) writer.Add(e);
  auto second = DecodeKeys(writer.chunk(1));
  ASSERT_TRUE(second);
  ASSERT_EQ(second->size(), 3u);
  EXPECT_EQ(second->back().event_time, events.back().event_time);
  writer.Clear();
  EXPECT_EQ(writer.chunks(), 0u);
}

TEST(InputKeysTest, DamageIsAnError) {
  KeyChunkWriter writer;
  for (const auto& e : Events(5)) writer.Add(e);
  const std::string blob = Blob(writer);
  EXPECT_FALSE(DecodeKeys(blob.substr(0, blob.size() - 3)));
  EXPECT_FALSE(DecodeKeys(blob.substr(0, 2)));
  EXPECT_TRUE(DecodeKeys(""));
}

}  // namespace
}  // namespace trailreplay::store
