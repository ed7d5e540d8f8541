package dev.waybill.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.waybill.testkit.SecuredKafka.Grant;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

class SecuredKafkaIT {

  private final SecuredKafka kafka = SecuredKafka.get();

  @Test
  void aUserWithWriteAndReadAclsProducesAndReadsOverSaslSsl() throws Exception {
    String user = "user-" + Names.hex(4);
    String topic = "secured-" + Names.hex(4);
    kafka.createUser(user, "pw-" + user);
    kafka.createTopic(topic, 1);
    kafka.allow(
        user,
        List.of(
            Grant.topic(topic, AclOperation.WRITE),
            Grant.topic(topic, AclOperation.READ),
            Grant.topic(topic, AclOperation.DESCRIBE)));
    Properties client = kafka.clientProperties(user, "pw-" + user);
    try (KafkaProducer<byte[], byte[]> producer = producer(client)) {
      producer
          .send(new ProducerRecord<>(topic, "k".getBytes(StandardCharsets.UTF_8), bytes("hello")))
          .get(30, TimeUnit.SECONDS);
    }
    assertThat(TopicRecords.readAll(client, topic, Duration.ofSeconds(30)))
        .extracting(TopicRecords::value)
        .containsExactly("hello");
  }

  @Test
  void aWrongPasswordFailsWithAnAuthenticationError() {
    String user = "user-" + Names.hex(4);
    kafka.createUser(user, "right");
    Properties client = kafka.clientProperties(user, "wrong");
    client.put("max.block.ms", "20000");
    try (KafkaProducer<byte[], byte[]> producer = producer(client)) {
      assertThatThrownBy(
              () ->
                  producer.send(new ProducerRecord<>("any", bytes("x"))).get(30, TimeUnit.SECONDS))
          .isInstanceOfAny(SaslAuthenticationException.class, ExecutionException.class)
          .satisfies(
              e ->
                  assertThat(e instanceof ExecutionException ? e.getCause() : e)
                      .isInstanceOf(SaslAuthenticationException.class));
    }
  }

  @Test
  void aUserWithoutAclsIsRefusedTheTopic() {
    String user = "user-" + Names.hex(4);
    String topic = "secured-" + Names.hex(4);
    kafka.createUser(user, "pw");
    kafka.createTopic(topic, 1);
    Properties client = kafka.clientProperties(user, "pw");
    client.put("max.block.ms", "20000");
    try (KafkaProducer<byte[], byte[]> producer = producer(client)) {
      assertThatThrownBy(
              () ->
                  producer.send(new ProducerRecord<>(topic, bytes("x"))).get(30, TimeUnit.SECONDS))
          .satisfies(
              e ->
                  assertThat(e instanceof ExecutionException ? e.getCause() : e)
                      .isInstanceOf(TopicAuthorizationException.class));
    }
  }

  private static KafkaProducer<byte[], byte[]> producer(Properties client) {
    return new KafkaProducer<>(client, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
