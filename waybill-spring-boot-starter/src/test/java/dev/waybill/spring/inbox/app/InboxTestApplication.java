package dev.waybill.spring.inbox.app;

import org.apache.kafka.common.TopicPartition;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.backoff.FixedBackOff;

/** A Spring Boot application with an inbox handler and a {@code @KafkaListener}. */
@SpringBootApplication
public class InboxTestApplication {

  /**
   * Spring Kafka's own dead-lettering for the listener: two attempts, then {@code <topic>.DLT}.
   *
   * @param template Boot's Kafka template
   * @return the error handler Boot gives the listener container
   */
  @Bean
  DefaultErrorHandler listenerErrorHandler(KafkaTemplate<?, ?> template) {
    return new DefaultErrorHandler(
        new DeadLetterPublishingRecoverer(
            template,
            (record, e) -> new TopicPartition(record.topic() + ".DLT", record.partition())),
        new FixedBackOff(10L, 1L));
  }
}
