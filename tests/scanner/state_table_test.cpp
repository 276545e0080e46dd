// State table: the documented bit layout, first-answer-wins, staleness across slot reuse, and a
// multi-threaded hammer that checks the counters against what every caller was told.
#include "scanner/state_table.hpp"

#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

namespace synscan::scanner {
namespace {

TEST(StateTable, FreshSlotsAreEmpty) {
  StateTable table(3, 100);
  EXPECT_EQ(table.slot_count(), 3u);
  EXPECT_EQ(table.entries_per_slot(), 100u);
  EXPECT_GE(table.memory_bytes(), 3u * 100 * 4 + 3 * 8);
  for (std::size_t slot = 0; slot < 3; ++slot)
    EXPECT_EQ(table.slot_group(slot), StateTable::kNoGroup);
  EXPECT_EQ(table.duplicates(), 0u);
  EXPECT_EQ(table.stale(), 0u);
}

TEST(StateTable, BitLayoutIsAsDocumented) {
  StateTable table(2, 8);
  // Group g lives in slot g % 2; its generation is (g / 2) % 64 = 42.
  const std::uint64_t group = 2 * (64 * 5 + 42) + 1;
  table.open_slot(1, group);
  EXPECT_EQ(table.slot_group(1), group);
  EXPECT_EQ(table.load(1, 3).raw, 42u << 10);
  EXPECT_EQ(table.mark_sent(1, group, 3), MarkSent::kMarked);
  EXPECT_EQ(table.mark_sent(1, group, 3), MarkSent::kMarked);
  EXPECT_EQ(table.load(1, 3).raw, (42u << 10) | 2);
  EXPECT_EQ(table.finalize(1, group, 3, 17, 0xAB), Finalize::kFirst);
  EXPECT_EQ(table.load(1, 3).raw, (0xABu << 16) | (42u << 10) | (17u << 4) | 2);
  EXPECT_TRUE(table.mark_reported(1, 3));
  const EntryView view = table.load(1, 3);
  EXPECT_EQ(view.raw, (0xABu << 16) | (42u << 10) | (1u << 9) | (17u << 4) | 2);
  EXPECT_EQ(view.send_count(), 2);
  EXPECT_EQ(view.result(), 17);
  EXPECT_TRUE(view.final());
  EXPECT_TRUE(view.reported());
  EXPECT_EQ(view.generation(), 42);
  EXPECT_EQ(view.ttl(), 0xAB);
  // The neighbours were not touched.
  EXPECT_EQ(table.load(1, 2).raw, 42u << 10);
  EXPECT_EQ(table.load(1, 4).raw, 42u << 10);
  EXPECT_EQ(table.load(0, 3).raw, 0u);
}

TEST(StateTable, FirstAnswerWins) {
  StateTable table(1, 4);
  table.open_slot(0, 7);
  EXPECT_EQ(table.finalize(0, 7, 0, 3, 64), Finalize::kFirst);
  EXPECT_EQ(table.finalize(0, 7, 0, 5, 128), Finalize::kDuplicate);
  EXPECT_EQ(table.finalize(0, 7, 0, 3, 64), Finalize::kDuplicate);
  EXPECT_EQ(table.load(0, 0).result(), 3);
  EXPECT_EQ(table.load(0, 0).ttl(), 64);
  EXPECT_EQ(table.duplicates(), 2u);
  EXPECT_EQ(table.stale(), 0u);
  // A final entry is not sent again.
  EXPECT_EQ(table.mark_sent(0, 7, 0), MarkSent::kAlreadyFinal);
  EXPECT_EQ(table.load(0, 0).send_count(), 0);
}

TEST(StateTable, SendCountSaturatesAtFifteen) {
  StateTable table(1, 1);
  table.open_slot(0, 0);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(table.mark_sent(0, 0, 0), MarkSent::kMarked);
  EXPECT_EQ(table.load(0, 0).send_count(), 15);
  EXPECT_FALSE(table.load(0, 0).final());
  EXPECT_EQ(table.load(0, 0).generation(), 0);
}

TEST(StateTable, ReportedOnce) {
  StateTable table(1, 2);
  table.open_slot(0, 1);
  EXPECT_TRUE(table.mark_reported(0, 1));
  EXPECT_FALSE(table.mark_reported(0, 1));
  EXPECT_TRUE(table.load(0, 1).reported());
  // Reporting does not finalize, and finalizing keeps the reported bit.
  EXPECT_EQ(table.finalize(0, 1, 1, 2, 9), Finalize::kFirst);
  EXPECT_TRUE(table.load(0, 1).reported());
  EXPECT_FALSE(table.load(0, 0).reported());
}

TEST(StateTable, LateRepliesForAnEarlierGroupAreStale) {
  StateTable table(2, 16);
  table.open_slot(0, 4);
  EXPECT_EQ(table.mark_sent(0, 4, 5), MarkSent::kMarked);
  EXPECT_EQ(table.finalize(0, 4, 5, 2, 50), Finalize::kFirst);
  // Closed: entries stay readable, but no more answers or sends land.
  table.close_slot(0);
  EXPECT_EQ(table.slot_group(0), StateTable::kNoGroup);
  EXPECT_EQ(table.load(0, 5).result(), 2);
  EXPECT_EQ(table.finalize(0, 4, 6, 2, 50), Finalize::kStale);
  EXPECT_EQ(table.mark_sent(0, 4, 6), MarkSent::kStale);

  // Reopened for group 6: everything pending again; group 4's replies are stale.
  table.open_slot(0, 6);
  EXPECT_EQ(table.load(0, 5).raw, (6u / 2) << 10);
  EXPECT_EQ(table.finalize(0, 4, 7, 3, 50), Finalize::kStale);
  EXPECT_EQ(table.mark_sent(0, 4, 7), MarkSent::kStale);
  EXPECT_FALSE(table.load(0, 7).final());
  EXPECT_EQ(table.finalize(0, 6, 7, 3, 50), Finalize::kFirst);

  // Group 134 (64 reuses later) shares group 6's generation: the published group still tells
  // them apart.
  table.open_slot(0, 134);
  EXPECT_EQ(table.finalize(0, 6, 8, 1, 1), Finalize::kStale);
  EXPECT_EQ(table.mark_sent(0, 6, 8), MarkSent::kStale);
  EXPECT_EQ(table.finalize(0, 134, 8, 1, 1), Finalize::kFirst);

  // A group finalizing a slot it does not live in is stale too.
  EXPECT_EQ(table.finalize(1, 134, 8, 1, 1), Finalize::kStale);
  EXPECT_EQ(table.stale(), 4u);  // finalize counts stale answers; mark_sent only reports them
  EXPECT_EQ(table.duplicates(), 0u);
}

TEST(StateTable, ConcurrentWritersAgreeOnEveryEntry) {
  constexpr std::size_t kEntries = 4096;
  constexpr int kFinalizers = 4;
  constexpr int kFinalizeCallsEach = 250'000;
  constexpr int kSendCallsTotal = 200'000;
  constexpr int kReportCallsTotal = 200'000;
  constexpr std::uint64_t kGroup = 12345;
  StateTable table(2, kEntries);
  table.open_slot(1, kGroup);

  // Each finalizer uses its own code and TTL and remembers which entries it won.
  std::vector<std::vector<std::size_t>> wins(kFinalizers);
  std::vector<std::uint64_t> first_counts(kFinalizers, 0);
  // Sender: per entry, how many kMarked answers before the first kAlreadyFinal.
  std::vector<std::uint32_t> marked(kEntries, 0);
  std::vector<bool> saw_final(kEntries, false);
  bool marked_after_final = false;
  std::vector<std::uint32_t> reports_set(kEntries, 0);

  std::vector<std::thread> threads;
  for (int finalizer = 0; finalizer < kFinalizers; ++finalizer) {
    threads.emplace_back([&, finalizer] {
      std::mt19937_64 random(finalizer + 1);
      const auto code = static_cast<std::uint8_t>(finalizer + 1);
      const auto ttl = static_cast<std::uint8_t>(100 + finalizer);
      for (int i = 0; i < kFinalizeCallsEach; ++i) {
        const std::size_t entry = random() % kEntries;
        const Finalize outcome = table.finalize(1, kGroup, entry, code, ttl);
        EXPECT_NE(outcome, Finalize::kStale);
        if (outcome == Finalize::kFirst) wins[finalizer].push_back(entry);
      }
      first_counts[finalizer] = wins[finalizer].size();
    });
  }
  threads.emplace_back([&] {
    std::mt19937_64 random(100);
    for (int i = 0; i < kSendCallsTotal; ++i) {
      const std::size_t entry = random() % kEntries;
      switch (table.mark_sent(1, kGroup, entry)) {
        case MarkSent::kMarked:
          if (saw_final[entry]) marked_after_final = true;
          ++marked[entry];
          break;
        case MarkSent::kAlreadyFinal:
          saw_final[entry] = true;
          break;
        case MarkSent::kStale:
          ADD_FAILURE() << "stale mark_sent";
          break;
      }
    }
  });
  threads.emplace_back([&] {
    std::mt19937_64 random(200);
    for (int i = 0; i < kReportCallsTotal; ++i) {
      const std::size_t entry = random() % kEntries;
      if (table.mark_reported(1, entry)) ++reports_set[entry];
    }
  });
  for (std::thread& thread : threads) thread.join();

  EXPECT_FALSE(marked_after_final);
  std::vector<int> winner(kEntries, -1);
  std::uint64_t firsts = 0;
  for (int finalizer = 0; finalizer < kFinalizers; ++finalizer) {
    firsts += first_counts[finalizer];
    for (const std::size_t entry : wins[finalizer]) {
      EXPECT_EQ(winner[entry], -1) << "entry " << entry << " won twice";
      winner[entry] = finalizer;
    }
  }
  EXPECT_EQ(table.duplicates(), std::uint64_t{kFinalizers} * kFinalizeCallsEach - firsts);
  EXPECT_EQ(table.stale(), 0u);
  for (std::size_t entry = 0; entry < kEntries; ++entry) {
    const EntryView view = table.load(1, entry);
    // With 1M random finalizations over 4096 entries, every entry was answered.
    ASSERT_NE(winner[entry], -1) << "entry " << entry;
    EXPECT_EQ(view.result(), winner[entry] + 1) << "entry " << entry;
    EXPECT_EQ(view.ttl(), 100 + winner[entry]) << "entry " << entry;
    EXPECT_EQ(view.send_count(), std::min<std::uint32_t>(marked[entry], 15)) << "entry " << entry;
    EXPECT_EQ(view.generation(), (kGroup / 2) % 64);
    EXPECT_EQ(view.reported(), reports_set[entry] == 1);
    EXPECT_LE(reports_set[entry], 1u);
  }
  // The other slot was never touched.
  for (std::size_t entry = 0; entry < kEntries; ++entry) EXPECT_EQ(table.load(0, entry).raw, 0u);

  // Reopening the slot for another group makes every late answer stale.
  table.open_slot(1, kGroup + 2);
  std::vector<std::thread> late;
  for (int finalizer = 0; finalizer < kFinalizers; ++finalizer) {
    late.emplace_back([&, finalizer] {
      for (std::size_t entry = finalizer; entry < kEntries; entry += kFinalizers) {
        EXPECT_EQ(table.finalize(1, kGroup, entry, 1, 1), Finalize::kStale);
      }
    });
  }
  for (std::thread& thread : late) thread.join();
  EXPECT_EQ(table.stale(), kEntries);
  for (std::size_t entry = 0; entry < kEntries; ++entry) EXPECT_FALSE(table.load(1, entry).final());
}

// A sealed slot keeps its group for readers, turns every later answer away and leaves pending
// entries pending: the reader takes them as "no answer".
TEST(StateTable, SealedSlotTurnsAnswersAway) {
  StateTable table(2, 8);
  table.open_slot(1, 5);
  ASSERT_EQ(table.mark_sent(1, 5, 0), MarkSent::kMarked);
  ASSERT_EQ(table.mark_sent(1, 5, 1), MarkSent::kMarked);
  ASSERT_EQ(table.finalize(1, 5, 0, 3, 64), Finalize::kFirst);
  table.seal_slot(1);
  EXPECT_EQ(table.slot_group(1), 5u);
  EXPECT_EQ(table.finalize(1, 5, 1, 3, 64), Finalize::kStale);
  EXPECT_EQ(table.finalize(1, 5, 0, 4, 64), Finalize::kStale);  // even a duplicate is late now
  EXPECT_EQ(table.mark_sent(1, 5, 2), MarkSent::kStale);
  EXPECT_EQ(table.load(1, 0).result(), 3);
  EXPECT_FALSE(table.load(1, 1).final());
  EXPECT_EQ(table.load(1, 1).send_count(), 1);
  EXPECT_TRUE(table.mark_reported(1, 1));  // the reader still marks records
  const EntryView as_silent = table.load(1, 1).with_result(7);
  EXPECT_EQ(as_silent.result(), 7);
  EXPECT_EQ(as_silent.send_count(), 1);
  EXPECT_TRUE(as_silent.reported());
  EXPECT_FALSE(table.load(1, 1).final());  // with_result is a copy
  EXPECT_EQ(table.stale(), 2u);
  table.close_slot(1);
  EXPECT_EQ(table.slot_group(1), StateTable::kNoGroup);
  table.seal_slot(1);  // sealing a closed slot changes nothing
  EXPECT_EQ(table.slot_group(1), StateTable::kNoGroup);
  table.open_slot(1, 7);  // the next group of the slot takes answers again
  EXPECT_EQ(table.finalize(1, 7, 1, 2, 1), Finalize::kFirst);
}

// After the hand-over the collector owns the sealed slot: its unlocked mark sets the bit once,
// keeps every other field, and agrees with the locked one.
TEST(StateTable, SealedSlotOwnerMarksReportedOnce) {
  StateTable table(2, 8);
  table.open_slot(1, 5);
  ASSERT_EQ(table.mark_sent(1, 5, 0), MarkSent::kMarked);
  ASSERT_EQ(table.mark_sent(1, 5, 0), MarkSent::kMarked);
  ASSERT_EQ(table.finalize(1, 5, 0, 3, 64), Finalize::kFirst);
  ASSERT_TRUE(table.mark_reported(1, 2));  // streamed before the seal
  table.seal_slot(1);
  const EntryView before = table.load(1, 0);
  EXPECT_TRUE(table.mark_reported_sealed(1, 0));
  EXPECT_FALSE(table.mark_reported_sealed(1, 0));
  EXPECT_FALSE(table.mark_reported(1, 0));
  const EntryView after = table.load(1, 0);
  EXPECT_TRUE(after.reported());
  EXPECT_EQ(after.raw & ~(1u << 9), before.raw);
  EXPECT_EQ(after.send_count(), 2);
  EXPECT_EQ(after.result(), 3);
  EXPECT_EQ(after.ttl(), 64);
  EXPECT_FALSE(table.mark_reported_sealed(1, 2));  // already reported by the locked op
  EXPECT_TRUE(table.mark_reported_sealed(1, 1));   // a pending (silent) entry
  EXPECT_FALSE(table.load(1, 1).final());
  EXPECT_EQ(table.load(0, 1).raw, 0u);  // the other slot is untouched
}

// When seal_slot returns, no answer lands any more: finalizers racing the seal either got in
// before it (and are counted as first answers) or are turned away.
TEST(StateTable, NothingLandsAfterTheSeal) {
  constexpr std::size_t kEntries = 1024;
  constexpr int kFinalizers = 2;
  constexpr int kRounds = 50;
  StateTable table(1, kEntries);
  for (int round = 0; round < kRounds; ++round) {
    const std::uint64_t group = static_cast<std::uint64_t>(round);
    table.open_slot(0, group);
    std::atomic<bool> sealed{false};
    std::atomic<int> started{0};
    std::atomic<std::uint64_t> firsts{0}, after_seal{0};
    std::vector<std::thread> finalizers;
    for (int finalizer = 0; finalizer < kFinalizers; ++finalizer) {
      finalizers.emplace_back([&, finalizer] {
        std::uint64_t state = 0x9E3779B97F4A7C15ULL * (round * kFinalizers + finalizer + 1);
        started.fetch_add(1);
        // Keep answering until well after the seal, so calls straddle it.
        for (int call = 0; call < 2000 || !sealed.load(); ++call) {
          state ^= state << 13, state ^= state >> 7, state ^= state << 17;
          const bool was_sealed = sealed.load();
          const Finalize outcome = table.finalize(0, group, state % kEntries, 1, 1);
          if (outcome == Finalize::kFirst) firsts.fetch_add(1);
          if (was_sealed && outcome != Finalize::kStale) after_seal.fetch_add(1);
        }
      });
    }
    while (started.load() < kFinalizers) std::this_thread::yield();
    table.seal_slot(0);
    std::vector<std::uint32_t> at_seal(kEntries);
    for (std::size_t entry = 0; entry < kEntries; ++entry) at_seal[entry] = table.load(0, entry).raw;
    sealed.store(true);
    for (std::thread& thread : finalizers) thread.join();
    EXPECT_EQ(after_seal.load(), 0u) << "round " << round;
    std::uint64_t final_entries = 0;
    for (std::size_t entry = 0; entry < kEntries; ++entry) {
      ASSERT_EQ(table.load(0, entry).raw, at_seal[entry]) << "round " << round << " entry " << entry;
      final_entries += table.load(0, entry).final();
    }
    EXPECT_EQ(final_entries, firsts.load()) << "round " << round;
    table.close_slot(0);
  }
}

}  // namespace
}  // namespace synscan::scanner
