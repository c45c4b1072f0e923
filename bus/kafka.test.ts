import { describe, inject } from 'vitest';
import { busContract } from '../testing/bus-contract.ts';
import { newKafkaBus } from '../testing/kafka.ts';

describe(`Kafka bus against ${inject('kafkaSource')} at ${inject('kafkaBrokers')}`, () => {
  busContract(async () => newKafkaBus());
});
