// Cost of asking the token bucket for a batch budget (once per batch on the transmit thread).
#include <benchmark/benchmark.h>

#include "rate/token_bucket.hpp"

namespace synscan::rate {
namespace {

void BM_TokenBucketTake(benchmark::State& state) {
  TokenBucket bucket(1e6, batch_size_for_rate(1e6), Nanoseconds{0});
  Nanoseconds now{0};
  for (auto _ : state) {
    now += Nanoseconds{37};  // a fake clock: the cost measured is the bucket, not clock_gettime
    benchmark::DoNotOptimize(bucket.take(now));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TokenBucketTake);

void BM_MonotonicNow(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(monotonic_now());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MonotonicNow);

}  // namespace
}  // namespace synscan::rate
