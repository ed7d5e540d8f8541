package dev.waybill.outbox.schema;

import static dev.waybill.outbox.schema.TableSpec.Column.notNull;
import static dev.waybill.outbox.schema.TableSpec.Column.nullable;
import static dev.waybill.outbox.schema.TableSpec.Column.text;

import dev.waybill.outbox.jdbc.SqlIdentifier;
import dev.waybill.outbox.schema.TableSpec.Column;
import dev.waybill.outbox.schema.TableSpec.Fill;
import dev.waybill.outbox.schema.TableSpec.Index;
import dev.waybill.outbox.schema.TableSpec.Type;
import java.util.ArrayList;
import java.util.List;

/**
 * The tables each component's code needs, as the shipped scripts of its latest version create them.
 * When a script adds or changes a column the code uses, the spec here changes with it (the schema
 * check tests apply the scripts and compare). Not API.
 */
final class ExpectedStructure {
  private ExpectedStructure() {}

  /**
   * The tables of a component.
   *
   * @throws IllegalArgumentException for a component Waybill does not ship
   */
  static List<TableSpec> of(SchemaComponent component, TableNames names) {
    return switch (component.name()) {
      case "outbox" -> outbox(component, names);
      case "inbox" -> inbox(component, names);
      default ->
          throw new IllegalArgumentException(
              "schema component '"
                  + component.name()
                  + "' has no known structure: use SchemaComponent.outbox() or inbox()");
    };
  }

  /** The message columns shared by the outbox and its dead-letter table. */
  private static List<Column> messageColumns() {
    return List.of(
        notNull("id", Type.UUID),
        text("topic", 249, false),
        text("msg_key", 1024, true),
        text("event_type", 255, false),
        text("content_type", 255, false),
        notNull("payload", Type.BYTES),
        nullable("headers", Type.TEXT),
        text("traceparent", 55, true),
        notNull("created_at", Type.TIMESTAMP),
        nullable("available_at", Type.TIMESTAMP));
  }

  private static List<TableSpec> outbox(SchemaComponent component, TableNames names) {
    Migration v1 = component.migrations().get(0);
    Migration v2 = component.migrations().get(1);
    List<Column> outbox = new ArrayList<>();
    outbox.add(notNull("seq", Type.BIGINT).filled(Fill.IDENTITY));
    for (Column c : messageColumns()) {
      boolean filled = List.of("id", "content_type", "created_at").contains(c.name());
      outbox.add(filled ? c.filled(Fill.DEFAULT) : c);
    }
    outbox.add(nullable("shard", Type.SMALLINT).filled(Fill.GENERATED));
    List<Column> dead = new ArrayList<>();
    dead.add(notNull("seq", Type.BIGINT));
    dead.addAll(messageColumns());
    dead.addAll(
        List.of(
            notNull("failed_at", Type.TIMESTAMP),
            notNull("attempts", Type.INTEGER),
            text("error_class", 255, false),
            text("error_message", 2000, false),
            notNull("parks_key", Type.BOOLEAN),
            text("relay_instance", 255, false)));
    return List.of(
        new TableSpec(
            names.outboxTable(),
            v1,
            outbox,
            List.of(Index.uniqueOn("seq"), Index.on("shard", "seq"))),
        new TableSpec(
            names.deadLetterTable(),
            v2,
            dead,
            List.of(Index.uniqueOn("seq"), Index.on("topic", "msg_key"))),
        new TableSpec(
            names.leaseTable(),
            v2,
            List.of(
                notNull("shard", Type.INTEGER),
                text("owner", 255, true),
                notNull("epoch", Type.BIGINT),
                nullable("expires_at", Type.TIMESTAMP),
                nullable("renewed_at", Type.TIMESTAMP)),
            List.of(Index.uniqueOn("shard"))),
        new TableSpec(
            names.relayTable(),
            v2,
            List.of(
                text("instance_id", 255, false),
                text("host", 255, false),
                notNull("started_at", Type.TIMESTAMP),
                notNull("expires_at", Type.TIMESTAMP)),
            List.of(Index.uniqueOn("instance_id"))));
  }

  private static List<TableSpec> inbox(SchemaComponent component, TableNames names) {
    Migration v1 = component.migrations().get(0);
    SqlIdentifier parked = new SqlIdentifier(names.schema(), names.inbox() + "_parked");
    return List.of(
        new TableSpec(
            names.inboxTable(),
            v1,
            List.of(
                text("consumer_group", 255, false),
                text("message_id", 255, false),
                notNull("handled_at", Type.TIMESTAMP).filled(Fill.DEFAULT)),
            List.of(
                Index.uniqueOn("consumer_group", "message_id"),
                Index.on("consumer_group", "handled_at"))),
        new TableSpec(
            parked,
            v1,
            List.of(
                text("consumer_group", 255, false),
                text("topic", 249, false),
                text("key_hash", 64, false),
                text("msg_key", 1024, true),
                text("message_id", 255, false),
                notNull("parked_at", Type.TIMESTAMP).filled(Fill.DEFAULT)),
            List.of(Index.uniqueOn("consumer_group", "topic", "key_hash"))));
  }
}
