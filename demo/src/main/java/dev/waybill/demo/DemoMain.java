package dev.waybill.demo;

import dev.waybill.testkit.Narrator;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The one-command demo: {@code java -jar demo/target/waybill-demo.jar [--orders N] [--keep-running]
 * [--http-port PORT]}. Exit codes: 0 every check held, 1 a check failed or the demo could not run,
 * 2 invalid usage.
 */
@Command(
    name = "waybill-demo",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    version = "Waybill demo 0.1.0",
    description = {
      "Runs Waybill end to end on an embedded PostgreSQL and an in-process Kafka broker (no",
      "Docker, no external service): a shop writes orders and their events through the outbox",
      "(some transactions rolled back on purpose), the polling relay publishes them and serves",
      "/metrics and /health, an inbox consumer applies each once while duplicates are injected,",
      "one poison event is dead-lettered, and the DLQ tool groups and redrives it after the fix.",
      "Prints a summary of counts that prove each promise; exits 0 only when every check held.",
      ""
    })
public final class DemoMain implements Callable<Integer> {
  /** Fewest orders: enough for rolled-back placements and shipments, the poison and duplicates. */
  static final int MIN_ORDERS = 20;

  static final int MAX_ORDERS = 1_000_000;

  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--orders",
      paramLabel = "N",
      defaultValue = "1000",
      description =
          "Orders the shop writes, each placed, paid and shipped (3 events); "
              + MIN_ORDERS
              + " to "
              + MAX_ORDERS
              + " (default: ${DEFAULT-VALUE}).")
  int orders;

  @Option(
      names = "--keep-running",
      description = "After the summary, keep serving /metrics and /health until Ctrl-C.")
  boolean keepRunning;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      description =
          "Port of the relay's /metrics and /health; 0: any free port (default: 8080, or any free"
              + " port when 8080 is taken).")
  Integer httpPort;

  /** Entry point; exits with the demo's code. */
  public static void main(String[] args) {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "waybill-demo-logback.xml");
    }
    System.exit(execute(args));
  }

  /** Runs the demo with a command line and returns the exit code. */
  public static int execute(String... args) {
    return execute(null, null, args);
  }

  /** Runs the demo with the given output and error writers (null: standard streams). */
  public static int execute(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new DemoMain());
    if (out != null) {
      cl.setOut(out);
    }
    if (err != null) {
      cl.setErr(err);
    }
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          cmd.getOut().flush();
          cmd.getErr().println("waybill-demo: failed: " + ex.getMessage());
          cmd.getErr().flush();
          return 1;
        });
    return cl.execute(args);
  }

  @Override
  public Integer call() throws Exception {
    if (orders < MIN_ORDERS || orders > MAX_ORDERS) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "'"
              + orders
              + "' → --orders → expected "
              + MIN_ORDERS
              + " to "
              + MAX_ORDERS
              + " (fewer orders would leave out a rollback, the poison event or the duplicates)");
    }
    if (httpPort != null && (httpPort < 0 || httpPort > 65535)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "'" + httpPort + "' → --http-port → expected 0 (any free port) to 65535");
    }
    // logging is set up here, before the engines start on two threads at once
    LoggerFactory.getILoggerFactory();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(1);
    Demo demo =
        new Demo(new Demo.Options(orders, 4, httpPort, keepRunning), new Narrator(out), stop);
    Thread hook =
        new Thread(
            () -> {
              demo.cancel();
              try {
                done.await(30, TimeUnit.SECONDS); // let the run stop everything and clean up
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "waybill-demo-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Summary summary = demo.run();
      List<String> failed = summary.failed();
      if (!failed.isEmpty()) {
        err.println(
            "waybill-demo: FAILED check(s): "
                + String.join("; ", failed.stream().map(f -> f.split(" \\(")[0]).toList()));
        err.flush();
        return 1;
      }
      return 0;
    } catch (Demo.CancelledException e) {
      err.println("waybill-demo: " + e.getMessage() + "; everything was stopped and deleted");
      err.flush();
      return 130;
    } finally {
      done.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down (Ctrl-C): the hook is running
      }
    }
  }
}
