// What every contract module uses: a nullable schema, and the compile-time checks that keep a
// schema one shape with the TypeScript type of the store it describes.
import Type, { type TSchema } from 'typebox';

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** true when A and B are the same type. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * true when the schema takes every value of T, with the same fields: an optional field of a schema
 * may hold undefined, which exactOptionalPropertyTypes keeps apart from an absent one.
 */
export type Covers<Schema, T> = [T] extends [Schema] ? Same<keyof Schema, keyof T> : false;
