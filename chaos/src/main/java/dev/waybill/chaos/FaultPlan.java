package dev.waybill.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The faults of a run, drawn from the seed before anything starts: when each one hits (between 10 %
 * and 80 % of the duration, so the last ones heal while the writers still write), which kind, which
 * relay or consumer, and how long the part stays down, frozen or paused. Kinds are dealt from a
 * shuffled deck, so a short run still gets many different kinds. Faults on different parts overlap
 * freely; one on a part still busy with an earlier fault waits for it.
 *
 * <p>The same seed gives the same plan. The timing of a rerun still differs (a shared machine), so
 * a rerun replays the faults, not every interleaving.
 */
final class FaultPlan {

  /**
   * One planned fault.
   *
   * @param number its place, from 1
   * @param at when it hits, from the start of the chaos phase
   * @param kind what it does
   * @param index which relay or consumer (from 0), or for {@link FaultKind#PG_TERMINATE} 0: relays,
   *     1: consumers
   * @param hold how long the part stays down, frozen or paused (zero for instant faults)
   */
  record Planned(int number, Duration at, FaultKind kind, int index, Duration hold) {
    String describe() {
      return String.format(
          Locale.ROOT,
          "#%-3d at %6.1fs  %-18s %-12s hold %4.1fs",
          number,
          at.toMillis() / 1000.0,
          kind.label(),
          target(),
          hold.toMillis() / 1000.0);
    }

    String target() {
      return switch (kind.target()) {
        case "relay" -> "relay-" + (index + 1);
        case "consumer" -> "consumer-" + (index + 1);
        case "sessions" -> index == 0 ? "relays" : "consumers";
        default -> kind.target();
      };
    }
  }

  private final List<Planned> faults;

  private FaultPlan(List<Planned> faults) {
    this.faults = List.copyOf(faults);
  }

  /**
   * Draws a plan.
   *
   * @param relays how many relays there are to hit
   * @param ownServer whether the database server is the rig's own (else its restarts, crashes and
   *     session kills are left out)
   */
  static FaultPlan draw(long seed, Duration duration, int count, int relays, boolean ownServer) {
    Random random = new Random(seed);
    long from = duration.toMillis() / 10;
    long to = duration.toMillis() * 8 / 10;
    long[] times = new long[count];
    for (int i = 0; i < count; i++) {
      times[i] = from + (long) (random.nextDouble() * (to - from));
    }
    Arrays.sort(times);
    List<FaultKind> deck = new ArrayList<>();
    List<Planned> planned = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      if (deck.isEmpty()) {
        for (FaultKind k : FaultKind.values()) {
          if (ownServer || !k.needsOwnServer()) {
            deck.add(k);
          }
        }
        Collections.shuffle(deck, random);
      }
      FaultKind kind = deck.remove(deck.size() - 1);
      int index =
          switch (kind.target()) {
            case "relay" -> random.nextInt(relays);
            case "consumer" -> random.nextInt(Deployment.CONSUMERS);
            case "sessions" -> random.nextInt(2);
            default -> 0;
          };
      planned.add(new Planned(i + 1, Duration.ofMillis(times[i]), kind, index, hold(kind, random)));
    }
    planned.sort(Comparator.comparing(Planned::at));
    return new FaultPlan(planned);
  }

  private static Duration hold(FaultKind kind, Random random) {
    long ms =
        switch (kind) {
          case RELAY_KILL, RELAY_TERM, CONSUMER_KILL, CONSUMER_TERM ->
              1_000 + random.nextInt(4_000);
          case RELAY_PAUSE -> Deployment.LEASE_TTL_SECONDS * 1_000L + 2_000 + random.nextInt(3_000);
          case BROKER_STOP, BROKER_CRASH -> 2_000 + random.nextInt(6_000);
          case PG_RESTART -> random.nextInt(2_000);
          case PG_CRASH -> 1_000 + random.nextInt(4_000);
          case DB_PROXY_FREEZE, KAFKA_PROXY_FREEZE -> 2_000 + random.nextInt(8_000);
          case PG_TERMINATE, DB_PROXY_RESET, KAFKA_PROXY_RESET -> 0;
        };
    return Duration.ofMillis(ms);
  }

  List<Planned> faults() {
    return faults;
  }
}
