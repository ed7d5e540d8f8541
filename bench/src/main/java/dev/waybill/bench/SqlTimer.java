package dev.waybill.bench;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import javax.sql.DataSource;

/**
 * Times every statement a relay runs, without touching relay code: {@link #wrap(DataSource)}
 * returns a data source whose connections and statements are JDK proxies that record the wall time
 * of each {@code execute*} call, classified by its SQL (claim, delete, lease bookkeeping, backlog
 * gauges, other). A {@code commit()} or {@code rollback()} counts as the kind of the last statement
 * on its connection, so a claim's transaction (settings, query, commit) is timed whole. The cost of
 * a proxy call is a few hundred nanoseconds, negligible next to a database round trip. Thread-safe.
 */
final class SqlTimer {

  /** What a statement does, from its SQL text. */
  enum Kind {
    CLAIM("claim: the claim's SELECT"),
    CLAIM_TX("the claim's other round trips: planner settings, commit"),
    DELETE("delete: DELETE ... WHERE seq IN (...) or seq = ANY(?), and its commit"),
    LEASE("leases and heartbeat"),
    BACKLOG("backlog gauges (maintenance thread)"),
    CONNECTION("pool: getConnection"),
    OTHER("other (schema check, LISTEN, ...)");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  /**
   * One timed call.
   *
   * @param kind what it was
   * @param startNanos {@link System#nanoTime()} at the start
   * @param nanos its duration
   * @param thread the calling thread's name
   */
  record Call(Kind kind, long startNanos, long nanos, String thread) {}

  private final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
  private volatile boolean enabled = true;

  /** Stops recording (calls still go through). */
  void disable() {
    enabled = false;
  }

  /** Every call so far, in completion order. */
  List<Call> calls() {
    return new ArrayList<>(calls);
  }

  /** Forgets the calls so far. */
  void clear() {
    calls.clear();
  }

  static Kind classify(String sql) {
    if (sql == null) {
      return Kind.OTHER;
    }
    String s = sql.stripLeading();
    // every form of the claim (PostgreSQL, MariaDB, H2) bounds its bytes with this running total
    if (s.contains("OVER (ORDER BY c.seq")) {
      return Kind.CLAIM;
    }
    if (s.startsWith("SET LOCAL")) {
      return Kind.CLAIM_TX;
    }
    if (s.startsWith("DELETE FROM")
        && (s.contains(" WHERE seq IN ") || s.contains("seq = ANY(") || s.contains("seq IN ("))) {
      return Kind.DELETE;
    }
    if (s.contains("waybill_relay_lease") || s.contains("waybill_relay_instance")) {
      return Kind.LEASE;
    }
    if (s.startsWith("SELECT COUNT(*)") || s.startsWith("SELECT created_at FROM")) {
      return Kind.BACKLOG;
    }
    return Kind.OTHER;
  }

  /** A data source whose statements are timed. */
  DataSource wrap(DataSource ds) {
    return (DataSource)
        Proxy.newProxyInstance(
            SqlTimer.class.getClassLoader(),
            new Class<?>[] {DataSource.class},
            (proxy, m, args) -> {
              if (m.getName().equals("getConnection")) {
                long t0 = System.nanoTime();
                Connection c = (Connection) invoke(ds, m, args);
                record(Kind.CONNECTION, t0);
                return connection(c);
              }
              return invoke(ds, m, args);
            });
  }

  private Connection connection(Connection c) {
    Kind[] last = {Kind.OTHER}; // the kind of the connection's last statement, for its commit
    return (Connection)
        Proxy.newProxyInstance(
            SqlTimer.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, m, args) -> {
              String name = m.getName();
              if (name.equals("commit") || name.equals("rollback")) {
                long t0 = System.nanoTime();
                try {
                  return invoke(c, m, args);
                } finally {
                  record(last[0] == Kind.CLAIM ? Kind.CLAIM_TX : last[0], t0);
                }
              }
              Object r = invoke(c, m, args);
              if (name.equals("createStatement")) {
                return statement((Statement) r, Statement.class, null, last);
              }
              if (name.equals("prepareStatement")) {
                return statement((Statement) r, PreparedStatement.class, (String) args[0], last);
              }
              return r;
            });
  }

  private Object statement(Statement st, Class<?> type, String preparedSql, Kind[] last) {
    InvocationHandler h =
        (proxy, m, args) -> {
          String name = m.getName();
          if (!name.startsWith("execute")) {
            return invoke(st, m, args);
          }
          String sql =
              args != null && args.length > 0 && args[0] instanceof String s ? s : preparedSql;
          long t0 = System.nanoTime();
          Kind kind = classify(sql);
          last[0] = kind;
          try {
            return invoke(st, m, args);
          } finally {
            record(kind, t0);
          }
        };
    return Proxy.newProxyInstance(SqlTimer.class.getClassLoader(), new Class<?>[] {type}, h);
  }

  private void record(Kind kind, long t0) {
    if (enabled) {
      calls.add(new Call(kind, t0, System.nanoTime() - t0, Thread.currentThread().getName()));
    }
  }

  private static Object invoke(Object target, Method m, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /**
   * Per kind: calls, total, mean, p50, p99 and max in milliseconds, of the calls of threads whose
   * name contains {@code threadFilter} (empty: all) and started at or after {@code fromNanos}.
   */
  static Map<Kind, double[]> summary(List<Call> calls, String threadFilter, long fromNanos) {
    Map<Kind, List<Long>> byKind = new EnumMap<>(Kind.class);
    for (Call c : calls) {
      if (c.startNanos() < fromNanos || !c.thread().contains(threadFilter)) {
        continue;
      }
      byKind.computeIfAbsent(c.kind(), k -> new ArrayList<>()).add(c.nanos());
    }
    Map<Kind, double[]> out = new EnumMap<>(Kind.class);
    byKind.forEach(
        (k, list) -> {
          long[] v = list.stream().mapToLong(Long::longValue).toArray();
          Arrays.sort(v);
          long total = Arrays.stream(v).sum();
          out.put(
              k,
              new double[] {
                v.length,
                total / 1e6,
                total / 1e6 / v.length,
                LatencyStats.percentile(v, 0.5) / 1e6,
                LatencyStats.percentile(v, 0.99) / 1e6,
                v[v.length - 1] / 1e6
              });
        });
    return out;
  }
}
