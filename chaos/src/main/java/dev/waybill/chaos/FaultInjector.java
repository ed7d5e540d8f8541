package dev.waybill.chaos;

import dev.waybill.testkit.Narrator;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Carries out a {@link FaultPlan} against a {@link Deployment}: each fault on its own thread, so
 * faults on different parts overlap; a fault on a part still busy with an earlier one waits for it.
 * Every fault heals itself (restart, thaw, SIGCONT) and is recorded with its start and end.
 */
final class FaultInjector {
  private final Deployment deployment;
  private final FaultPlan plan;
  private final Narrator console;
  private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
  private final List<Fault> happened = new ArrayList<>();
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "fault");
            t.setDaemon(true);
            return t;
          });
  private volatile boolean cancelled;
  private Thread scheduler;

  FaultInjector(Deployment deployment, FaultPlan plan, Narrator console) {
    this.deployment = deployment;
    this.plan = plan;
    this.console = console;
  }

  /** Starts the plan's clock: each fault hits at its time after now. */
  void start() {
    long t0 = System.nanoTime();
    scheduler =
        new Thread(
            () -> {
              for (FaultPlan.Planned f : plan.faults()) {
                long wait = t0 + f.at().toNanos() - System.nanoTime();
                if (wait > 0) {
                  Workload.sleep(wait / 1_000_000);
                }
                if (cancelled) {
                  return;
                }
                pool.submit(() -> run(f));
              }
            },
            "fault-scheduler");
    scheduler.setDaemon(true);
    scheduler.start();
  }

  /** Starts no further fault and waits until every fault in progress has healed. */
  List<Fault> finish() throws InterruptedException {
    cancelled = true;
    scheduler.join();
    pool.shutdown();
    if (!pool.awaitTermination(5, TimeUnit.MINUTES)) {
      throw new IllegalStateException("faults did not heal within 5 minutes");
    }
    synchronized (happened) {
      return List.copyOf(happened);
    }
  }

  private void run(FaultPlan.Planned f) {
    String part = f.target();
    ReentrantLock lock = locks.computeIfAbsent(lockName(f), k -> new ReentrantLock());
    lock.lock();
    try {
      Instant start = Instant.now();
      String target = inject(f);
      if (target == null) {
        return;
      }
      console.say("fault", "#%d %s: %s", f.number(), f.kind().label(), target);
      if (!f.hold().isZero()) {
        Workload.sleep(f.hold().toMillis());
      }
      String healed = heal(f);
      Instant end = Instant.now();
      synchronized (happened) {
        happened.add(new Fault(f.number(), f.kind(), target, start, end));
      }
      if (healed != null) {
        console.say(
            "heal",
            "#%d %s after %.1fs",
            f.number(),
            healed,
            (end.toEpochMilli() - start.toEpochMilli()) / 1000.0);
      }
    } catch (RuntimeException e) {
      console.say("fault", "#%d %s on %s failed: %s", f.number(), f.kind().label(), part, e);
    } finally {
      lock.unlock();
    }
  }

  private static String lockName(FaultPlan.Planned f) {
    return switch (f.kind().target()) {
      case "relay", "consumer" -> f.target();
      default -> f.kind().target();
    };
  }

  /** Injects the fault; returns what it hit, or null when there was nothing to hit. */
  private String inject(FaultPlan.Planned f) {
    Deployment d = deployment;
    switch (f.kind()) {
      case RELAY_KILL -> {
        ChildProcess p = d.relays.get(f.index());
        p.kill();
        return p.instanceId();
      }
      case RELAY_TERM -> {
        ChildProcess p = d.relays.get(f.index());
        p.terminate(30);
        return p.instanceId();
      }
      case RELAY_PAUSE -> {
        ChildProcess p = d.relays.get(f.index());
        p.pause();
        return p.instanceId();
      }
      case CONSUMER_KILL -> {
        ChildProcess p = d.consumers.get(f.index());
        p.kill();
        return p.instanceId();
      }
      case CONSUMER_TERM -> {
        ChildProcess p = d.consumers.get(f.index());
        p.terminate(30);
        return p.instanceId();
      }
      case BROKER_STOP -> {
        d.broker.stop();
        return "broker";
      }
      case BROKER_CRASH -> {
        d.broker.crash();
        return "broker";
      }
      case PG_RESTART -> {
        d.postgres.stop();
        return "postgres";
      }
      case PG_CRASH -> {
        d.postgres.crash();
        return "postgres";
      }
      case PG_TERMINATE -> {
        String prefix = f.index() == 0 ? "relay-%" : "consumer-%";
        return "sessions of " + f.target() + " (" + terminate(prefix) + " ended)";
      }
      case DB_PROXY_FREEZE -> {
        d.dbProxy.freeze();
        return "db-proxy";
      }
      case DB_PROXY_RESET -> {
        int n = d.dbProxy.openConnections();
        d.dbProxy.cutAll();
        return "db-proxy (" + n + " connections reset)";
      }
      case KAFKA_PROXY_FREEZE -> {
        d.kafkaProxy.freeze();
        return "kafka-proxy";
      }
      case KAFKA_PROXY_RESET -> {
        int n = d.kafkaProxy.openConnections();
        d.kafkaProxy.cutAll();
        return "kafka-proxy (" + n + " connections reset)";
      }
      default -> throw new IllegalStateException("unknown fault " + f.kind());
    }
  }

  /** Heals the fault; returns a description, or null for instant faults. */
  private String heal(FaultPlan.Planned f) {
    Deployment d = deployment;
    switch (f.kind()) {
      case RELAY_KILL, RELAY_TERM -> {
        ChildProcess p = d.relays.get(f.index());
        p.start();
        return "restarted as " + p.instanceId();
      }
      case RELAY_PAUSE -> {
        ChildProcess p = d.relays.get(f.index());
        p.resume();
        return "SIGCONT " + p.instanceId();
      }
      case CONSUMER_KILL, CONSUMER_TERM -> {
        ChildProcess p = d.consumers.get(f.index());
        p.start();
        return "restarted as " + p.instanceId();
      }
      case BROKER_STOP, BROKER_CRASH -> {
        d.broker.restart();
        return "broker up again";
      }
      case PG_RESTART, PG_CRASH -> {
        d.postgres.restart();
        return "postgres up again";
      }
      case DB_PROXY_FREEZE -> {
        d.dbProxy.thaw();
        return "db-proxy thawed";
      }
      case KAFKA_PROXY_FREEZE -> {
        d.kafkaProxy.thaw();
        return "kafka-proxy thawed";
      }
      default -> {
        return null;
      }
    }
  }

  private int terminate(String applicationPrefix) {
    try (Connection c = deployment.direct.getConnection();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE application_name LIKE ?")) {
      st.setString(1, applicationPrefix);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException("pg_terminate_backend failed: " + e.getMessage(), e);
    }
  }
}
