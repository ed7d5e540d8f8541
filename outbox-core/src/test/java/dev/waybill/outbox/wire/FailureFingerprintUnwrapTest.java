package dev.waybill.outbox.wire;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FailureFingerprintUnwrapTest {
  static final String LEFE = "org.springframework.kafka.listener.ListenerExecutionFailedException";

  static String springTrace(String cause, String causeFrame, String rootCause, String rootFrame) {
    return LEFE
        + ": Listener method 'onMessage' threw exception\n"
        + "\tat org.springframework.kafka.listener.KafkaMessageListenerContainer.decorate(K.java:1)\n"
        + "\tat org.springframework.kafka.listener.KafkaMessageListenerContainer.invoke(K.java:2)\n"
        + "Caused by: "
        + cause
        + ": wrapped\n"
        + "\tat "
        + causeFrame
        + "(X.java:10)\n"
        + "\tat org.springframework.kafka.listener.adapter.MessagingMessageListenerAdapter.x(M.java:3)\n"
        + "\t... 12 more\n"
        + (rootCause == null
            ? ""
            : "Caused by: "
                + rootCause
                + ": root\n\tat "
                + rootFrame
                + "(Y.java:20)\n\t... 15 more\n");
  }

  @Test
  void aWrapperIsFingerprintedByItsCauseAndTheCausesOwnTopFrame() {
    String trace =
        springTrace("java.lang.IllegalStateException", "com.globex.Billing.charge", null, null);
    FailureFingerprint.Cause c =
        FailureFingerprint.unwrap(LEFE, "java.lang.IllegalStateException", trace).orElseThrow();
    assertThat(c.exceptionClass()).isEqualTo("java.lang.IllegalStateException");
    assertThat(c.fingerprint())
        .isEqualTo("java.lang.IllegalStateException@com.globex.Billing.charge");
  }

  @Test
  void wrappersInsideWrappersAreSkippedToTheFirstRealCause() {
    String trace =
        springTrace(
            "java.util.concurrent.CompletionException",
            "java.util.concurrent.CompletableFuture.encodeThrowable",
            "java.lang.NumberFormatException",
            "com.globex.Invoices.parse");
    FailureFingerprint.Cause c =
        FailureFingerprint.unwrap(LEFE, "java.util.concurrent.CompletionException", trace)
            .orElseThrow();
    assertThat(c.fingerprint())
        .isEqualTo("java.lang.NumberFormatException@com.globex.Invoices.parse");
  }

  @Test
  void withoutAStackTraceTheCauseHeaderAloneGroups() {
    assertThat(FailureFingerprint.unwrap(LEFE, "java.lang.ArithmeticException", null))
        .contains(
            new FailureFingerprint.Cause(
                "java.lang.ArithmeticException", "java.lang.ArithmeticException"));
  }

  @Test
  void anExceptionThatIsNotAWrapperIsLeftAsItIs() {
    assertThat(
            FailureFingerprint.unwrap(
                "java.lang.IllegalStateException",
                "java.sql.SQLException",
                "java.lang.IllegalStateException: x\n\tat com.acme.A.b(A.java:1)\n"))
        .isEmpty();
  }

  @Test
  void framesOfSuppressedExceptionsDoNotCount() {
    String trace =
        LEFE
            + ": failed\n"
            + "\tat org.springframework.kafka.listener.K.invoke(K.java:2)\n"
            + "\tSuppressed: java.io.IOException: close failed\n"
            + "\t\tat com.globex.Closer.close(C.java:5)\n"
            + "Caused by: java.lang.IllegalArgumentException: bad\n"
            + "\tat com.globex.Orders.validate(O.java:7)\n";
    assertThat(FailureFingerprint.unwrap(LEFE, null, trace).orElseThrow().fingerprint())
        .isEqualTo("java.lang.IllegalArgumentException@com.globex.Orders.validate");
  }
}
