package dev.waybill.outbox;

import dev.waybill.outbox.dialect.Dialect;
import dev.waybill.outbox.internal.Json;
import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.outbox.spi.TraceContextProvider;
import dev.waybill.outbox.wire.LogicalMessageFormat;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link Outbox} that inserts with one JDBC prepared statement (batched for lists). */
final class JdbcOutbox implements Outbox {
  private static final Logger LOG = LoggerFactory.getLogger(JdbcOutbox.class);

  private final OutboxConfig config;
  private final TraceContextProvider traceContext;
  private final AtomicBoolean warnedBadTraceparent = new AtomicBoolean();
  private volatile Dialect dialect;
  private volatile String insertSql;

  JdbcOutbox(OutboxConfig config, Dialect dialect, TraceContextProvider traceContext) {
    this.config = config;
    this.traceContext = traceContext;
    if (dialect != null) {
      useDialect(dialect);
    }
  }

  @Override
  public OutboxConfig config() {
    return config;
  }

  @Override
  public List<MessageId> writeAll(Connection connection, List<OutboxMessage> messages) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(messages, "messages");
    requireTransaction(connection);
    if (messages.isEmpty()) {
      return List.of();
    }
    for (OutboxMessage m : messages) {
      checkSize(Objects.requireNonNull(m, "message"));
    }
    Dialect d = dialect(connection);
    List<MessageId> ids = new ArrayList<>(messages.size());
    if (config.writeMode() == OutboxConfig.WriteMode.MESSAGE || config.deleteAfterInsert()) {
      checkCdcWrite(d, messages);
    }
    try {
      if (config.writeMode() == OutboxConfig.WriteMode.MESSAGE) {
        emitMessages(connection, d, messages, ids);
        return ids;
      }
      if (config.deleteAfterInsert()) {
        insertAndDelete(connection, d, messages, ids);
        return ids;
      }
      Optional<String> notify =
          config.notifyEnabled()
              ? d.notifySql(SqlIdentifier.of(config.notifyChannel()))
              : Optional.empty();
      if (messages.size() == 1) {
        // one round trip: the INSERT and the NOTIFY travel in one statement (pgjdbc sends both
        // in one message exchange); the NOTIFY alone would cost as much as the insert
        String sql = notify.map(n -> insertSql + ";\n" + n).orElse(insertSql);
        try (PreparedStatement st = connection.prepareStatement(sql)) {
          bind(st, d, messages.get(0));
          ids.add(messages.get(0).id());
          st.execute();
        }
        return ids;
      }
      try (PreparedStatement st = connection.prepareStatement(insertSql)) {
        for (OutboxMessage m : messages) {
          bind(st, d, m);
          ids.add(m.id());
          st.addBatch();
        }
        st.executeBatch();
      }
      if (notify.isPresent()) {
        try (Statement st = connection.createStatement()) {
          st.execute(notify.get());
        }
      }
    } catch (SQLException e) {
      OutboxMessage first = messages.get(0);
      throw new OutboxWriteException(
          "outbox insert into "
              + config.tables().outboxTable()
              + " failed for "
              + messages.size()
              + (messages.size() == 1 ? " message" : " messages")
              + " (first id "
              + first.id()
              + ", topic '"
              + first.topic()
              + "'): "
              + e.getMessage()
              + " [SQLState "
              + e.getSQLState()
              + "]. Roll back the transaction; if the table is missing, apply the schema with"
              + " SchemaMigrator or the shipped db/waybill/outbox scripts.",
          e);
    }
    return ids;
  }

  /** Message mode and delete-after-insert are for the CDC relay: PostgreSQL, no delays. */
  private void checkCdcWrite(Dialect d, List<OutboxMessage> messages) {
    String what =
        config.writeMode() == OutboxConfig.WriteMode.MESSAGE
            ? "outbox.write.mode=message"
            : "outbox.write.delete=true";
    if (dev.waybill.outbox.dialect.LogicalDecodingSql.of(d).isEmpty()) {
      throw new OutboxWriteException(
          what
              + " needs PostgreSQL (logical decoding, read by the CDC relay), but the connection is"
              + " to "
              + d.name()
              + ". Use outbox.write.mode=table with outbox.write.delete=false there.",
          null);
    }
    for (OutboxMessage m : messages) {
      if (m.notBefore().isPresent()) {
        throw new InvalidMessageException(
            "notBefore",
            "invalid outbox message for topic '"
                + m.topic()
                + "' (id "
                + m.id()
                + "): delayed messages (notBefore/delay) are not supported with "
                + what
                + ": the CDC relay publishes in commit order and cannot hold one message back."
                + " Write delayed messages through a writer in table mode and use the polling"
                + " relay.");
      }
    }
  }

  private void emitMessages(
      Connection connection, Dialect d, List<OutboxMessage> messages, List<MessageId> ids)
      throws SQLException {
    String sql = dev.waybill.outbox.dialect.LogicalDecodingSql.of(d).orElseThrow().emitMessageSql();
    try (PreparedStatement st = connection.prepareStatement(sql)) {
      for (OutboxMessage m : messages) {
        st.setString(1, config.messagePrefix());
        st.setBytes(
            2,
            LogicalMessageFormat.encode(
                m.id().value(),
                m.topic(),
                m.key().orElse(null),
                m.eventType(),
                m.payload().contentType(),
                m.headers(),
                traceparent(m),
                m.payload().unsafeBytes()));
        st.executeQuery().close();
        ids.add(m.id());
      }
    }
  }

  private void insertAndDelete(
      Connection connection, Dialect d, List<OutboxMessage> messages, List<MessageId> ids)
      throws SQLException {
    List<Long> seqs = new ArrayList<>(messages.size());
    try (PreparedStatement st = connection.prepareStatement(insertSql, new String[] {"seq"})) {
      for (OutboxMessage m : messages) {
        bind(st, d, m);
        ids.add(m.id());
        st.addBatch();
      }
      st.executeBatch();
      try (java.sql.ResultSet keys = st.getGeneratedKeys()) {
        while (keys.next()) {
          seqs.add(keys.getLong(1));
        }
      }
    }
    try (PreparedStatement st =
        connection.prepareStatement(
            dev.waybill.outbox.dialect.LogicalDecodingSql.of(d)
                .orElseThrow()
                .deleteRowsSql(config.tables().outboxTable()))) {
      st.setArray(1, connection.createArrayOf("bigint", seqs.toArray()));
      st.executeUpdate();
    }
  }

  private void bind(PreparedStatement st, Dialect d, OutboxMessage m) throws SQLException {
    d.setUuid(st, 1, m.id().value());
    st.setString(2, m.topic());
    st.setString(3, m.key().orElse(null));
    st.setString(4, m.eventType());
    st.setString(5, m.payload().contentType());
    st.setBytes(6, m.payload().unsafeBytes());
    st.setString(7, m.headers().isEmpty() ? null : Json.encodeObject(m.headers()));
    st.setString(8, traceparent(m));
    d.setInstant(st, 9, m.notBefore().orElse(null));
  }

  private String traceparent(OutboxMessage m) {
    if (m.traceparent().isPresent()) {
      return m.traceparent().get();
    }
    String t = traceContext.currentTraceparent().orElse(null);
    if (t == null || OutboxMessage.isValidTraceparent(t)) {
      return t;
    }
    if (warnedBadTraceparent.compareAndSet(false, true)) {
      LOG.warn(
          "outbox {}: the trace context provider returned an invalid traceparent; messages are"
              + " written without one (message {}). This warning is shown once.",
          config.tables().outboxTable(),
          m.id());
    }
    return null;
  }

  private void checkSize(OutboxMessage m) {
    long size = m.payload().size();
    size += m.key().map(k -> (long) k.getBytes(StandardCharsets.UTF_8).length).orElse(0L);
    for (Map.Entry<String, String> h : m.headers().entrySet()) {
      size += h.getKey().length() + h.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    if (size > config.maxMessageBytes()) {
      throw new InvalidMessageException(
          "payload",
          "invalid outbox message for topic '"
              + m.topic()
              + "' (id "
              + m.id()
              + "): it is "
              + size
              + " bytes (payload "
              + m.payload().size()
              + " + key + headers), more than outbox.message.max.bytes = "
              + config.maxMessageBytes()
              + ". Send a smaller payload (e.g. a reference to where the data is stored) or raise"
              + " the limit together with the producer's max.request.size and the topic's"
              + " max.message.bytes.");
    }
  }

  private static void requireTransaction(Connection connection) {
    boolean autoCommit;
    try {
      autoCommit = connection.getAutoCommit();
    } catch (SQLException e) {
      throw new OutboxWriteException(
          "cannot check the connection's auto-commit mode (is it closed?): " + e.getMessage(), e);
    }
    if (autoCommit) {
      throw new NotInTransactionException(
          "outbox write refused: the connection is in auto-commit mode, so the message would"
              + " commit on its own, outside your business change. Call"
              + " connection.setAutoCommit(false) (or use your framework's transaction), write the"
              + " business rows and the message, then commit.");
    }
  }

  private Dialect dialect(Connection connection) {
    Dialect d = dialect;
    if (d == null) {
      d = Dialect.of(connection);
      useDialect(d);
    }
    return d;
  }

  private void useDialect(Dialect d) {
    this.insertSql = d.insertOutboxSql(config.tables().outboxTable());
    this.dialect = d;
  }

  @Override
  public String toString() {
    return "JdbcOutbox[table="
        + config.tables().outboxTable()
        + ", dialect="
        + (dialect == null ? "detected" : dialect.name())
        + ", maxMessageBytes="
        + config.maxMessageBytes()
        + ", notify="
        + (config.notifyEnabled() ? config.notifyChannel() : "off")
        + ", writeMode="
        + config.writeMode().name().toLowerCase(java.util.Locale.ROOT)
        + (config.deleteAfterInsert() ? ", deleteAfterInsert" : "")
        + "]";
  }
}
