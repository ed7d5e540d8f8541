package dev.waybill.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where the machine's CPU time went during a timed block (Linux {@code /proc}): the whole machine
 * (busy and idle), this JVM, the Kafka broker process, the database server's processes (every
 * process named {@code postgres} or {@code mariadbd}), and the biggest other consumers by name. On
 * a 2-core machine that runs the database, the broker and the client, this tells whether a variant
 * is limited by waiting or by CPU, who spends it, and whether something else disturbed the run.
 * Figures are in CPU seconds; clock ticks are assumed to be 100 per second (the Linux default;
 * {@code getconf CLK_TCK}).
 */
final class CpuMeter {
  private static final double TICK = 0.01;

  /** CPU seconds per consumer over a block. */
  record Usage(
      double wallSeconds,
      int cores,
      double busy,
      double idle,
      double self,
      double broker,
      double db,
      String topOthers) {
    /** Other processes (and kernel work not charged to a process). */
    double other() {
      return Math.max(0, busy - self - broker - db);
    }

    /** Busy share of the machine's capacity over the block, in percent. */
    double busyPercent() {
      return 100 * busy / (wallSeconds * cores);
    }

    String line() {
      return String.format(
          "cpu %.0f%% busy of %d cores over %.2f s: bench JVM %.2f s, broker %.2f s, database %.2f"
              + " s, other %.2f s%s",
          busyPercent(),
          cores,
          wallSeconds,
          self,
          broker,
          db,
          other(),
          topOthers.isEmpty() ? "" : " (" + topOthers + ")");
    }
  }

  /** A snapshot. */
  static final class Snapshot {
    final long nanos = System.nanoTime();
    final long busyTicks;
    final long idleTicks;
    final long brokerPid;
    final Map<Long, Long> ticks = new HashMap<>();
    final Map<Long, String> names = new HashMap<>();

    Snapshot(long brokerPid) {
      this.brokerPid = brokerPid;
      long[] sys = machine();
      busyTicks = sys[0];
      idleTicks = sys[1];
      processes(ticks, names);
    }

    /** The usage from this snapshot to {@code end}. */
    Usage to(Snapshot end) {
      long selfPid = ProcessHandle.current().pid();
      long self = 0;
      long broker = 0;
      long db = 0;
      Map<String, Long> others = new HashMap<>();
      for (Map.Entry<Long, Long> e : end.ticks.entrySet()) {
        long pid = e.getKey();
        long d = e.getValue() - ticks.getOrDefault(pid, 0L);
        String name = end.names.get(pid);
        if (pid == selfPid) {
          self += d;
        } else if (pid == brokerPid) {
          broker += d;
        } else if ("postgres".equals(name) || "mariadbd".equals(name)) {
          db += d;
        } else if (d > 0) {
          others.merge(name, d, Long::sum);
        }
      }
      List<Map.Entry<String, Long>> top = new ArrayList<>(others.entrySet());
      top.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
      StringBuilder t = new StringBuilder();
      for (int i = 0; i < Math.min(3, top.size()) && top.get(i).getValue() >= 5; i++) {
        t.append(i == 0 ? "" : ", ")
            .append(top.get(i).getKey())
            .append(String.format(" %.2f s", top.get(i).getValue() * TICK));
      }
      return new Usage(
          (end.nanos - nanos) / 1e9,
          Runtime.getRuntime().availableProcessors(),
          (end.busyTicks - busyTicks) * TICK,
          (end.idleTicks - idleTicks) * TICK,
          self * TICK,
          broker * TICK,
          db * TICK,
          t.toString());
    }
  }

  private CpuMeter() {}

  /** The machine's busy share over {@code millis}, in percent (a quick "is anyone else busy?"). */
  static double busyPercent(long millis) throws InterruptedException {
    long[] a = machine();
    Thread.sleep(millis);
    long[] b = machine();
    long busy = b[0] - a[0];
    long all = busy + b[1] - a[1];
    return all == 0 ? 0 : 100.0 * busy / all;
  }

  private static long[] machine() {
    try {
      String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = first.trim().split("\\s+");
      long user = Long.parseLong(f[1]);
      long nice = Long.parseLong(f[2]);
      long system = Long.parseLong(f[3]);
      long idle = Long.parseLong(f[4]);
      long iowait = Long.parseLong(f[5]);
      long irq = Long.parseLong(f[6]);
      long softirq = Long.parseLong(f[7]);
      long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
      return new long[] {user + nice + system + irq + softirq + steal, idle + iowait};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }

  /** utime + stime and the name of every process, in ticks. */
  private static void processes(Map<Long, Long> ticks, Map<Long, String> names) {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      procs
          .filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
          .forEach(
              p -> {
                try {
                  String stat = Files.readString(p.resolve("stat"));
                  // the name may contain spaces: fields go on after the last parenthesis
                  String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                  String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                  long pid = Long.parseLong(p.getFileName().toString());
                  ticks.put(pid, Long.parseLong(f[11]) + Long.parseLong(f[12]));
                  names.put(pid, name);
                } catch (IOException | RuntimeException e) {
                  // gone meanwhile
                }
              });
    } catch (IOException e) {
      // not Linux: no figures
    }
  }
}
