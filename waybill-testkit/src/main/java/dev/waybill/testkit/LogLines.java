package dev.waybill.testkit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The log lines that code in this JVM writes while this is open: a logback list appender on one
 * logger (usually a module's package logger), so tests can check that a line names the ids an
 * operator needs (promise 4). Lines below the logger's effective level (set in the module's {@code
 * logback-test.xml}) are not seen. Needs logback-classic on the test class path (the testkit
 * declares it optional).
 *
 * <p>Thread-safe: code under test logs from its own threads while the test reads.
 */
public final class LogLines implements AutoCloseable {
  private final Logger logger;
  private final Level levelBefore;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private LogLines(String loggerName, Level level) {
    this.logger = (Logger) LoggerFactory.getLogger(loggerName);
    this.levelBefore = logger.getLevel();
    if (level != null) {
      logger.setLevel(level);
    }
    appender.start();
    logger.addAppender(appender);
  }

  /**
   * Captures what the logger and its descendants log from now on.
   *
   * @param loggerName a logger name, e.g. the package {@code dev.waybill.relay}
   * @return lines captured until {@link #close()}
   * @throws ClassCastException when slf4j is not bound to logback
   */
  public static LogLines of(String loggerName) {
    return new LogLines(loggerName, null);
  }

  /**
   * Captures what the logger and its descendants log from now on, at {@code level} and above
   * whatever {@code logback-test.xml} says, until {@link #close()} restores the logger's level.
   *
   * @param loggerName a logger name, e.g. {@code org.apache.kafka}
   * @param level the lowest level logged meanwhile, e.g. {@code INFO} for start-up lines
   * @return lines captured until {@link #close()}
   * @throws ClassCastException when slf4j is not bound to logback
   */
  public static LogLines of(String loggerName, Level level) {
    return new LogLines(loggerName, level);
  }

  /**
   * The formatted messages at {@code level} or above, in order.
   *
   * @param level the lowest level returned
   * @return a snapshot of the lines captured so far
   */
  public List<String> atLeast(Level level) {
    synchronized (appender) { // AppenderBase.doAppend holds the appender's lock while it adds
      return appender.list.stream()
          .filter(e -> e.getLevel().isGreaterOrEqual(level))
          .map(ILoggingEvent::getFormattedMessage)
          .toList();
    }
  }

  /**
   * Whether a line at {@code level} or above contains {@code fragment}, e.g. for an await.
   *
   * @param level the lowest level looked at
   * @param fragment text the line must contain
   * @return whether such a line was captured so far
   */
  public boolean anyContains(Level level, String fragment) {
    return atLeast(level).stream().anyMatch(line -> line.contains(fragment));
  }

  /** Stops capturing. Idempotent. */
  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
    logger.setLevel(levelBefore);
  }
}
