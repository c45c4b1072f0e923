// Reads Streamwarden's registry-framed topics as a Java team outside it would, with the Apache
// Kafka client and Apache Avro only: each value is a zero byte, the 4-byte id of its writer schema
// in the registry, then the Avro body (the Confluent wire format). The schema of an id is asked of
// the registry once (GET /schemas/ids/{id}) and kept. Prints every record as one JSON line (topic,
// key, value) until it has read the number asked for, or a minute has passed.
//
// usage: java -cp <kafka-clients, avro, jackson> ReadTopics.java <brokers> <registry url> <group id> <records> <topic>...
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

public class ReadTopics {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<Integer, Schema> SCHEMAS = new HashMap<>();

  /** The writer schema of a registry id, asked once. */
  static Schema schemaOf(String registry, int id) throws IOException, InterruptedException {
    Schema known = SCHEMAS.get(id);
    if (known != null) return known;
    HttpRequest request = HttpRequest.newBuilder(URI.create(registry + "/schemas/ids/" + id))
        .header("Accept", "application/vnd.schemaregistry.v1+json")
        .build();
    HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200)
      throw new IOException("registry answered " + response.statusCode() + " for schema id " + id + ": " + response.body());
    Schema schema = new Schema.Parser().parse(JSON.readTree(response.body()).get("schema").asText());
    SCHEMAS.put(id, schema);
    return schema;
  }

  /** One value in the Confluent wire format, decoded with its writer schema. */
  static GenericRecord decode(String registry, byte[] value) throws IOException, InterruptedException {
    ByteBuffer framed = ByteBuffer.wrap(value);
    if (value.length < 5 || framed.get() != 0)
      throw new IOException("not in the Confluent wire format (first byte " + (value.length > 0 ? value[0] : "none") + ")");
    Schema schema = schemaOf(registry, framed.getInt());
    return new GenericDatumReader<GenericRecord>(schema)
        .read(null, DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null));
  }

  public static void main(String[] args) throws Exception {
    String brokers = args[0], registry = args[1].replaceAll("/+$", ""), group = args[2];
    int wanted = Integer.parseInt(args[3]);
    List<String> topics = Arrays.asList(args).subList(4, args.length);

    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());

    int read = 0;
    long deadline = System.currentTimeMillis() + 60_000;
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
      consumer.subscribe(topics);
      while (read < wanted && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofSeconds(1))) {
          ObjectNode line = JSON.createObjectNode();
          line.put("topic", record.topic());
          line.put("key", record.key());
          // Avro's generic record prints itself as JSON.
          line.set("value", JSON.readTree(decode(registry, record.value()).toString()));
          System.out.println(JSON.writeValueAsString(line));
          read++;
        }
      }
      consumer.commitSync();
    }
    System.out.flush();
  }
}
