package dev.waybill.spring.inbox.internal;

import dev.waybill.inbox.InboxMessage;
import dev.waybill.inbox.InboxTransaction;
import dev.waybill.inbox.MessageHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.util.function.BiFunction;
import org.springframework.util.ReflectionUtils;

/** Calls an {@code @InboxHandler} method with the arguments its parameters ask for. Not API. */
final class MethodHandler implements MessageHandler {
  private final Object bean;
  private final Method method;
  private final Type[] parameters;
  private final BiFunction<byte[], Type, Object> payloads;

  /**
   * @param bean the bean (possibly a proxy)
   * @param method the method to call on it
   * @param payloads reads a payload parameter of any other type from the message's bytes
   */
  MethodHandler(Object bean, Method method, BiFunction<byte[], Type, Object> payloads) {
    this.bean = bean;
    this.method = method;
    this.parameters = method.getGenericParameterTypes();
    this.payloads = payloads;
    ReflectionUtils.makeAccessible(method);
  }

  /** Whether {@code type} is a parameter filled without reading the payload as JSON. */
  static boolean isPlain(Type type) {
    return type == InboxMessage.class
        || type == InboxTransaction.class
        || type == String.class
        || type == byte[].class;
  }

  @Override
  public void handle(InboxMessage message, InboxTransaction tx) throws Exception {
    Object[] args = new Object[parameters.length];
    for (int i = 0; i < args.length; i++) {
      Type t = parameters[i];
      if (t == InboxMessage.class) {
        args[i] = message;
      } else if (t == InboxTransaction.class) {
        args[i] = tx;
      } else if (t == String.class) {
        args[i] = message.valueAsString();
      } else if (t == byte[].class) {
        args[i] = message.value();
      } else {
        args[i] = payloads.apply(message.value(), t);
      }
    }
    try {
      method.invoke(bean, args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception ex) {
        throw ex;
      }
      throw (Error) cause;
    }
  }

  @Override
  public String toString() {
    return method.getDeclaringClass().getSimpleName() + "." + method.getName();
  }
}
