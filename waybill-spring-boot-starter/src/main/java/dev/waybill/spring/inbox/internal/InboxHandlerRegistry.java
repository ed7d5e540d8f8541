package dev.waybill.spring.inbox.internal;

import dev.waybill.inbox.MessageHandler;
import dev.waybill.spring.inbox.InboxHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;

/**
 * Finds {@code @InboxHandler} methods and {@code @InboxHandler} {@link MessageHandler} beans as the
 * context creates its beans. Thread-safe. Not API.
 */
public final class InboxHandlerRegistry implements BeanPostProcessor {
  private final List<HandlerRegistration> found = new ArrayList<>();
  private final BiFunction<byte[], Type, Object> payloads;

  /**
   * @param payloads reads payload parameters that are not {@code String} or {@code byte[]}
   */
  public InboxHandlerRegistry(BiFunction<byte[], Type, Object> payloads) {
    this.payloads = payloads;
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
    Class<?> type = AopUtils.getTargetClass(bean);
    InboxHandler onType = AnnotatedElementUtils.findMergedAnnotation(type, InboxHandler.class);
    if (onType != null) {
      if (!(bean instanceof MessageHandler h)) {
        throw new IllegalStateException(
            "bean '"
                + beanName
                + "' ("
                + type.getName()
                + ") is annotated @InboxHandler but is no dev.waybill.inbox.MessageHandler:"
                + " implement MessageHandler, or annotate its methods instead");
      }
      add(onType, h, "bean '" + beanName + "'");
    }
    Map<Method, InboxHandler> methods =
        MethodIntrospector.selectMethods(
            type,
            (MethodIntrospector.MetadataLookup<InboxHandler>)
                m -> AnnotatedElementUtils.findMergedAnnotation(m, InboxHandler.class));
    for (Map.Entry<Method, InboxHandler> e : methods.entrySet()) {
      Method m = e.getKey();
      String where = type.getName() + "." + m.getName();
      long payloadParams =
          Arrays.stream(m.getGenericParameterTypes())
              .filter(t -> t != dev.waybill.inbox.InboxMessage.class)
              .filter(t -> t != dev.waybill.inbox.InboxTransaction.class)
              .count();
      if (payloadParams > 1) {
        throw new IllegalStateException(
            "@InboxHandler method "
                + where
                + " has "
                + payloadParams
                + " payload parameters: take at most one payload, plus InboxMessage and"
                + " InboxTransaction");
      }
      Method invocable = AopUtils.selectInvocableMethod(m, bean.getClass());
      add(e.getValue(), new MethodHandler(bean, invocable, payloads), where);
    }
    return bean;
  }

  private synchronized void add(InboxHandler a, MessageHandler h, String source) {
    found.add(
        new HandlerRegistration(
            a.group(), Arrays.asList(a.topics()), Arrays.asList(a.value()), h, source));
  }

  /**
   * @return the handlers found so far
   */
  public synchronized List<HandlerRegistration> handlers() {
    return List.copyOf(found);
  }
}
