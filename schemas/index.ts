export * from './types.generated.ts';
export { AvroCodec, AvroDecodeError, AvroValidationError, type AvroSchema, type DecodeFailure } from './codec.ts';
export { topics, allTopics, loadSchemaVersions, type TopicSpec, type TopicName } from './topics.ts';
