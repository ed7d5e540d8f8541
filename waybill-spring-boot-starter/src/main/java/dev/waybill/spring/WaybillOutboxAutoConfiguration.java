package dev.waybill.spring;

import dev.waybill.outbox.Outbox;
import dev.waybill.outbox.OutboxConfig;
import dev.waybill.spring.internal.SchemaSetup;
import dev.waybill.spring.internal.SpringManagedOutbox;
import dev.waybill.spring.internal.StarterSettings;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.datasource.DataSourceUtils;

/**
 * Auto-configuration of the outbox side, active when the application has one {@code DataSource}:
 * the {@code waybill.outbox.*} properties ({@link OutboxConfig}), the schema handling of {@code
 * waybill.schema.mode} at start ({@link SchemaMode}), and a {@link TransactionalOutbox} (also the
 * application's {@link Outbox}) that writes through the Spring-managed transaction. Each bean backs
 * off when the application defines its own of that type.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
      "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration"
    })
@ConditionalOnClass({DataSource.class, DataSourceUtils.class})
@ConditionalOnSingleCandidate(DataSource.class)
public class WaybillOutboxAutoConfiguration {

  /** Creates the auto-configuration; Spring calls it. */
  public WaybillOutboxAutoConfiguration() {}

  /**
   * The writer's settings from the {@code waybill.outbox.*} properties, validated by Waybill's
   * setting declarations.
   *
   * @param environment the application's environment
   * @return the validated configuration
   * @throws dev.waybill.outbox.config.ConfigException naming each bad property and the rule
   */
  @Bean
  @ConditionalOnMissingBean
  public OutboxConfig waybillOutboxConfig(Environment environment) {
    return StarterSettings.outbox(environment);
  }

  @Bean
  @ConditionalOnMissingBean
  SchemaSetup waybillSchema(Environment environment, DataSource dataSource, OutboxConfig config) {
    SchemaMode mode = SchemaMode.parse(environment.getProperty(SchemaMode.PROPERTY, "waybill"));
    return new SchemaSetup(mode, dataSource, config);
  }

  /**
   * The outbox writer, joined to the Spring-managed transaction of the data source.
   *
   * @param config the writer's settings
   * @param dataSource the application's database
   * @param schema the schema handling, which has run before the writer exists
   * @return the writer
   */
  @Bean
  @ConditionalOnMissingBean(Outbox.class)
  public TransactionalOutbox waybillOutbox(
      OutboxConfig config, DataSource dataSource, SchemaSetup schema) {
    return new SpringManagedOutbox(Outbox.builder().config(config).build(), dataSource);
  }
}
