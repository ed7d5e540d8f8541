package dev.waybill.relay;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The log lines a relay in this JVM writes while it is open: a logback list appender on the relay's
 * package logger, so tests can check that a line names the ids an operator needs (promise 4). Lines
 * below the logger's effective level (WARN in logback-test.xml) are not seen.
 */
final class LogLines implements AutoCloseable {
  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private LogLines(String loggerName) {
    this.logger = (Logger) LoggerFactory.getLogger(loggerName);
    appender.start();
    logger.addAppender(appender);
  }

  /** Captures what the relay's classes log from now on. */
  static LogLines ofRelay() {
    return new LogLines("dev.waybill.relay");
  }

  /** The formatted messages at {@code level} or above, in order. */
  synchronized List<String> atLeast(Level level) {
    synchronized (appender.list) {
      return appender.list.stream()
          .filter(e -> e.getLevel().isGreaterOrEqual(level))
          .map(ILoggingEvent::getFormattedMessage)
          .toList();
    }
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
