package dev.waybill.examples.spring;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Where Waybill's relay and consumer find Kafka, and the relay's name ({@code waybill.*}).
 *
 * @param kafkaBootstrapServers the Kafka brokers, {@code host:port[,host:port]} ({@code
 *     waybill.kafka-bootstrap-servers})
 * @param relayInstanceId this relay's name in logs, leases and status; unique among the running
 *     relays ({@code waybill.relay-instance-id})
 */
@ConfigurationProperties("waybill")
public record WaybillProperties(
    String kafkaBootstrapServers, @DefaultValue("orders-relay") String relayInstanceId) {}
