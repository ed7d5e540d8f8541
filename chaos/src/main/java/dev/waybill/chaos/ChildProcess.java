package dev.waybill.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One role of the deployment (a relay, a consumer) run as a child JVM, restarted as a new process
 * after each kill: every incarnation gets its own instance id ({@code <name>-g<generation>}), as a
 * process with the default host-pid id would. Its output is appended to {@code <logs>/<name>.log}.
 * Thread-safe.
 */
final class ChildProcess {
  private final String name;
  private final Function<String, List<String>> command;
  private final Map<String, String> environment;
  private final Path log;
  private Process process;
  private int generation;
  private boolean paused;
  private boolean downOnPurpose = true;

  /**
   * An exit nobody asked for.
   *
   * @param instance the incarnation that exited
   * @param exitCode its exit code
   * @param at when the rig noticed
   */
  record Exit(String instance, int exitCode, java.time.Instant at) {}

  /**
   * @param command the command line for an instance id
   * @param environment the {@code WAYBILL_*} variables of the process (secrets stay off its command
   *     line)
   */
  ChildProcess(
      String name,
      Function<String, List<String>> command,
      Map<String, String> environment,
      Path logs) {
    this.name = name;
    this.command = command;
    this.environment = Map.copyOf(environment);
    this.log = logs.resolve(name + ".log");
  }

  String name() {
    return name;
  }

  /** The instance id of the current (or last) incarnation. */
  synchronized String instanceId() {
    return name + "-g" + generation;
  }

  synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** Starts a new incarnation; does nothing while one is alive. */
  synchronized void start() {
    if (isAlive()) {
      return;
    }
    generation++;
    downOnPurpose = false;
    try {
      ProcessBuilder pb =
          new ProcessBuilder(command.apply(instanceId()))
              .redirectErrorStream(true)
              .redirectOutput(Redirect.appendTo(log.toFile()));
      withEnvironment(pb, environment);
      process = pb.start();
      paused = false;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + instanceId(), e);
    }
  }

  /**
   * Gives {@code pb} exactly the rig's {@code WAYBILL_*} variables: none of the caller's own (a
   * developer's {@code WAYBILL_DB_URL}, say) reaches the process.
   */
  static ProcessBuilder withEnvironment(ProcessBuilder pb, Map<String, String> environment) {
    pb.environment().keySet().removeIf(k -> k.startsWith("WAYBILL_"));
    pb.environment().putAll(environment);
    return pb;
  }

  /** {@code kill -9}: the process ends at once, mid-whatever. */
  void kill() {
    Process p;
    synchronized (this) {
      p = process;
      paused = false;
      downOnPurpose = true;
    }
    if (p != null) {
      p.destroyForcibly();
      await(p, 10);
    }
  }

  /** SIGTERM, then waits up to {@code seconds} for a graceful exit; SIGKILL after that. */
  void terminate(int seconds) {
    Process p;
    synchronized (this) {
      p = process;
      downOnPurpose = true;
      if (paused) {
        signal("CONT");
        paused = false;
      }
    }
    if (p != null && p.isAlive()) {
      p.destroy();
      if (!await(p, seconds)) {
        p.destroyForcibly();
        await(p, 10);
      }
    }
  }

  /**
   * If the process exited although nobody stopped it (a crash, an exit on an error it should have
   * survived), starts a new one, as a container orchestrator would, and returns the exit.
   */
  synchronized java.util.Optional<Exit> restartIfExited() {
    if (downOnPurpose || process == null || process.isAlive()) {
      return java.util.Optional.empty();
    }
    Exit exit = new Exit(instanceId(), process.exitValue(), java.time.Instant.now());
    start();
    return java.util.Optional.of(exit);
  }

  /** SIGSTOP: the process freezes, its sockets stay open (a long GC pause, a stopped container). */
  synchronized void pause() {
    if (isAlive()) {
      signal("STOP");
      paused = true;
    }
  }

  /** SIGCONT after {@link #pause()}. */
  synchronized void resume() {
    if (paused && isAlive()) {
      signal("CONT");
    }
    paused = false;
  }

  private void signal(String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
      kill.waitFor(10, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException("kill -" + signal + " " + instanceId() + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean await(Process p, int seconds) {
    try {
      return p.waitFor(seconds, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
