package dev.waybill.spring.inbox.internal;

import java.lang.reflect.Type;
import java.util.function.BiFunction;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.util.ClassUtils;

/**
 * Reads payload parameters of {@code @InboxHandler} methods from JSON with the application's
 * Jackson {@code JsonMapper} (Spring Boot's, or a default one). Not API.
 */
public final class JsonPayloads implements BiFunction<byte[], Type, Object> {
  private static final String JSON_MAPPER = "tools.jackson.databind.json.JsonMapper";

  private final BeanFactory beans;
  private volatile BiFunction<byte[], Type, Object> reader;

  /**
   * @param beans where the application's {@code JsonMapper} is looked up, on first use
   */
  public JsonPayloads(BeanFactory beans) {
    this.beans = beans;
  }

  /**
   * Whether Jackson is on the class path.
   *
   * @return true when payloads other than {@code String} and {@code byte[]} can be read
   */
  public static boolean available() {
    return ClassUtils.isPresent(JSON_MAPPER, JsonPayloads.class.getClassLoader());
  }

  @Override
  public Object apply(byte[] bytes, Type type) {
    BiFunction<byte[], Type, Object> r = reader;
    if (r == null) {
      if (!available()) {
        throw new IllegalStateException(
            "cannot read an inbox payload as "
                + type.getTypeName()
                + ": Jackson (tools.jackson.core:jackson-databind) is not on the class path; add"
                + " spring-boot-starter-json, or take the payload as String or byte[]");
      }
      r = Jackson.reader(beans);
      reader = r;
    }
    return r.apply(bytes, type);
  }

  /** Touches Jackson's classes only when they are there. */
  private static final class Jackson {
    static BiFunction<byte[], Type, Object> reader(BeanFactory beans) {
      tools.jackson.databind.json.JsonMapper mapper =
          beans
              .getBeanProvider(tools.jackson.databind.json.JsonMapper.class)
              .getIfAvailable(tools.jackson.databind.json.JsonMapper::new);
      return (bytes, type) -> mapper.readValue(bytes, mapper.constructType(type));
    }
  }
}
