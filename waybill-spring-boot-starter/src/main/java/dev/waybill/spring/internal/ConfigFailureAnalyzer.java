package dev.waybill.spring.internal;

import dev.waybill.outbox.config.ConfigException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns invalid {@code waybill.*} properties that stopped the application into Spring Boot's
 * "APPLICATION FAILED TO START" report: every problem, each naming the property, the value and the
 * rule, instead of a stack trace of bean creation. Not API.
 */
public final class ConfigFailureAnalyzer extends AbstractFailureAnalyzer<ConfigException> {

  /** Created by Spring Boot from {@code META-INF/spring.factories}. */
  public ConfigFailureAnalyzer() {}

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, ConfigException cause) {
    return new FailureAnalysis(
        "Waybill's " + cause.getMessage(),
        "Correct the properties named above. docs/spring.md describes them, and IDEs list them"
            + " with their types and defaults from the starter's configuration metadata.",
        cause);
  }
}
