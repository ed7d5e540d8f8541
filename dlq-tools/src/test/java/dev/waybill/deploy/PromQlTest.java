package dev.waybill.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

class PromQlTest {
  @Test
  void findsMetricsAndMatcherLabelsButNotFunctionsKeywordsStringsOrRanges() {
    PromQl.Query q =
        PromQl.parse(
            "sum by (group, topic) (rate(waybill_inbox_handled_total{group=~\"$group\","
                + " topic!=\"a,b}\"}[$__rate_interval])) > 0.5 unless on (group)"
                + " absent(waybill_inbox_lag offset 5m)");
    assertThat(q.selectors())
        .containsExactly(
            new PromQl.Selector("waybill_inbox_handled_total", Set.of("group", "topic")),
            new PromQl.Selector("waybill_inbox_lag", Set.of()));
    assertThat(q.groupingLabels()).containsExactlyInAnyOrder("group", "topic");
  }

  @Test
  void readsHistogramQuantileWithAggregationLabelsAfterTheArgument() {
    PromQl.Query q =
        PromQl.parse(
            "histogram_quantile(0.99, sum(rate(x_seconds_bucket[5m])) by (le)) / 1e3 > bool 2");
    assertThat(q.selectors()).containsExactly(new PromQl.Selector("x_seconds_bucket", Set.of()));
    assertThat(q.groupingLabels()).containsExactly("le");
  }

  @Test
  void readsGrafanaLabelValuesQueries() {
    assertThat(PromQl.parse("label_values(waybill_relay_pending, instance)").selectors())
        .containsExactly(new PromQl.Selector("waybill_relay_pending", Set.of("instance")));
  }

  @Test
  void refusesAnUnknownFunctionAndAnUnterminatedString() {
    assertThatThrownBy(() -> PromQl.parse("summ(x)"))
        .hasMessageContaining("unknown function 'summ'");
    assertThatThrownBy(() -> PromQl.parse("x{a=\"b}")).hasMessageContaining("unterminated string");
  }

  @Test
  void readsLabelNamesOfAPrometheusScrape() {
    Scrape s =
        new Scrape()
            .add(
                "# TYPE a_total counter\n"
                    + "a_total{instance=\"r,1\",group=\"x\\\"}\"} 1.0\n"
                    + "b 2\n");
    assertThat(s.names()).containsExactly("a_total", "b");
    assertThat(s.labels("a_total")).containsExactly("instance", "group");
    assertThat(s.labels("b")).isEmpty();
  }
}
