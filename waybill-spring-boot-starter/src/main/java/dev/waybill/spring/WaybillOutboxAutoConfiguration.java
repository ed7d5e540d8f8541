package dev.waybill.spring;

import org.springframework.boot.autoconfigure.AutoConfiguration;

/**
 * Auto-configuration of the outbox side: the {@code Outbox} bean that joins Spring transactions,
 * schema handling at start and the optional embedded relay.
 */
@AutoConfiguration
public class WaybillOutboxAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public WaybillOutboxAutoConfiguration() {}
}
