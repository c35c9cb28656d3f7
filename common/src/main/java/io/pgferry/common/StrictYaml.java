package io.pgferry.common;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Reads YAML config files into records/classes with snake_case keys, refusing unknown keys and wrong types with
 * a message that names the file, line and column.
 */
public final class StrictYaml {
  private static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory())
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
      .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
      .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true)
      .findAndRegisterModules();

  private StrictYaml() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  public static <T> T load(Path file, Class<T> type) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new UsageException(file + ": no such file");
    } catch (IOException e) {
      throw new UsageException(file + ": cannot read: " + e.getMessage());
    }
    return parse(file.toString(), text, type);
  }

  public static <T> T parse(String name, String text, Class<T> type) {
    try {
      T value = MAPPER.readValue(text, type);
      if (value == null) {
        throw new UsageException(name + ": the file is empty");
      }
      return value;
    } catch (UnrecognizedPropertyException e) {
      String known = e.getKnownPropertyIds() == null ? "" : e.getKnownPropertyIds().stream()
          .map(Object::toString).sorted().collect(Collectors.joining(", "));
      throw new UsageException(where(name, keyLocation(text, e.getPath()).orElse(e.getLocation())) + "unknown key '" + e.getPropertyName() + "'"
          + (known.isEmpty() ? "" : " (known keys here: " + known + ")"));
    } catch (JsonProcessingException e) {
      throw new UsageException(where(name, e.getLocation()) + e.getOriginalMessage().replaceAll("\\s+", " "));
    }
  }

  /**
   * Where the key at {@code path} starts. Jackson's own location for an unknown key of a record (creator
   * properties) points past its value, often at the next line; re-reading the tokens finds the key itself.
   */
  private static Optional<JsonLocation> keyLocation(String text, List<JsonMappingException.Reference> path) {
    StringBuilder want = new StringBuilder();
    for (JsonMappingException.Reference r : path) {
      want.append('/').append(r.getFieldName() != null ? escapePointer(r.getFieldName()) : String.valueOf(r.getIndex()));
    }
    try (JsonParser p = MAPPER.getFactory().createParser(text)) {
      for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
        if (t == JsonToken.FIELD_NAME && p.getParsingContext().pathAsPointer().toString().equals(want.toString())) {
          return Optional.of(p.currentTokenLocation());
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // fall back to Jackson's location
    }
    return Optional.empty();
  }

  private static String escapePointer(String name) {
    return name.replace("~", "~0").replace("/", "~1");
  }

  private static String where(String name, JsonLocation location) {
    if (location == null || location.getLineNr() < 0) {
      return name + ": ";
    }
    return name + ":" + location.getLineNr() + ":" + location.getColumnNr() + ": ";
  }
}
