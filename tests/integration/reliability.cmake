# Reliability lab tests (included from tests/integration/CMakeLists.txt): random loss (nft numgen
# drop, every delivered reply recorded in an nft set), duplicated replies (nft `dup to` in an ip-family table), delay with jitter and reordering
# (iptables-nft NFQUEUE + delayer/nfq_delay.c, since the lab kernel has no netem and no nft queue).
# Driver: reliability_test.py (own lab per test, removed at the end, also when killed).
#   ctest --test-dir build -L lab -R reliability      (the /24 tests)
#   ctest --test-dir build -L lab_full -R reliability (2% loss on the /16)
#   scripts/bench-reliability                         (all figures, masscan for comparison)

find_library(SYNSCAN_NFQ_LIB netfilter_queue)
find_library(SYNSCAN_NFNL_LIB nfnetlink)
find_path(SYNSCAN_NFQ_INCLUDE libnetfilter_queue/libnetfilter_queue.h)
set(SYNSCAN_DELAYER_ARG "")
if(SYNSCAN_NFQ_LIB AND SYNSCAN_NFNL_LIB AND SYNSCAN_NFQ_INCLUDE)
  add_executable(nfq_delay ${CMAKE_CURRENT_LIST_DIR}/delayer/nfq_delay.c)
  set_target_properties(nfq_delay PROPERTIES LINKER_LANGUAGE C)
  target_include_directories(nfq_delay PRIVATE ${SYNSCAN_NFQ_INCLUDE})
  target_link_libraries(nfq_delay PRIVATE ${SYNSCAN_NFQ_LIB} ${SYNSCAN_NFNL_LIB})
  set(SYNSCAN_DELAYER_ARG --delayer $<TARGET_FILE:nfq_delay>)
else()
  message(STATUS "libnetfilter-queue-dev not found: the delay test compiles nfq_delay itself or skips")
endif()

if(TARGET synscan)
  set(_rel ${SYNSCAN_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/reliability_test.py --synscan $<TARGET_FILE:synscan>)

  # 2% loss both ways on a /24 x 5 ports: exact against what the loss rules let through (nft sets
  # record every delivered reply): a pair with a delivered reply has its true state, a pair that
  # lost every reply of its 3 tries is filtered/no-response, nothing else.
  add_test(NAME lab_reliability_loss2_24
           COMMAND ${_rel} --targets 198.18.3.0/24 --rate 20000 --retries 2 loss --loss 2)
  # 30% loss both ways on the same /24: ~150 pairs lose every reply of their 3 tries, so the exact
  # check above is exercised on many lost pairs (TCP and ICMP answers), not only on none.
  add_test(NAME lab_reliability_loss30_24
           COMMAND ${_rel} --targets 198.18.3.0/24 --rate 20000 --retries 2 loss --loss 30)
  # Every reply duplicated: exactly the truth, each pair once, synscan counts the duplicates.
  add_test(NAME lab_reliability_dup_24
           COMMAND ${_rel} --targets 198.18.3.0/24 --rate 20000 --retries 2 dup)
  # Replies delayed 50 +/- 20 ms (reordered): every state equals the truth ...
  add_test(NAME lab_reliability_delay_24
           COMMAND ${_rel} ${SYNSCAN_DELAYER_ARG} --targets 198.18.3.0/24 --rate 20000 --retries 2
                   --delay-ms 50 --jitter-ms 20 delay)
  # ... also with --wait 100ms and both directions delayed (RTT 60..140 ms): the adaptive retry
  # timeout, not the final wait, has to cover the round trip.
  add_test(NAME lab_reliability_delay_shortwait_24
           COMMAND ${_rel} ${SYNSCAN_DELAYER_ARG} --targets 198.18.3.0/24 --rate 20000 --retries 2
                   --wait 0.1 --probes-too --delay-ms 50 --jitter-ms 20 delay)
  set_tests_properties(lab_reliability_loss2_24 lab_reliability_loss30_24 lab_reliability_dup_24 lab_reliability_delay_24
                       lab_reliability_delay_shortwait_24
                       PROPERTIES LABELS "lab" TIMEOUT 180 SKIP_RETURN_CODE 77 RESOURCE_LOCK synscan_lab)

  # 2% loss both ways on the whole /16 x 5 ports at --rate 50000 --retries 2, the same exact
  # check: the misses allowed are the pairs the loss took completely (~8.6 of 138,240 open ports
  # expected, i.e. >= 99.99% found), counted per run instead of bounded by a threshold that
  # failed ~5% of the runs.
  add_test(NAME lab_reliability_loss2_16_full
           COMMAND ${_rel} --targets 198.18.0.0/16 --rate 50000 --retries 2 --timeout 400
                   loss --loss 2)
  set_tests_properties(lab_reliability_loss2_16_full PROPERTIES LABELS "lab_full" TIMEOUT 600
                       SKIP_RETURN_CODE 77 RESOURCE_LOCK synscan_lab)
endif()
