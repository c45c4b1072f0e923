// The answers of the library operations, from the servers' library snapshots.
import Type, { type Static, type TSchema } from 'typebox';
import { Nullable, type Same } from './shapes.ts';
import type { HeldItem, LibraryQueries, WatchedItem } from '../../warehouse/queries/library.ts';

const item = {
  identity: Type.String({ description: 'What makes copies one item: an outside id, or title, year and episode' }),
  title: Type.String(),
  grandparentTitle: Type.String({ description: 'The series of an episode, the artist of a track' }),
  mediaType: Type.String(),
  year: Nullable(Type.Integer()),
  seasonNumber: Nullable(Type.Integer()),
  episodeNumber: Nullable(Type.Integer()),
  poster: Nullable(Type.String({ description: 'Address of a poster through the image proxy' })),
};
const example = {
  identity: 'tmdb://438631',
  title: 'Dune',
  grandparentTitle: '',
  mediaType: 'MOVIE',
  year: 2021,
  seasonNumber: null,
  episodeNumber: null,
  poster: '/api/v1/servers/plex-home/image?ref=%2Flibrary%2Fmetadata%2F502%2Fthumb%2F1764201600',
};

export const Libraries = Type.Object(
  {
    libraries: Type.Array(
      Type.Object({
        serverId: Type.String(),
        libraryId: Type.String(),
        libraryTitle: Type.String(),
        items: Type.Integer(),
        sizeBytes: Type.Number(),
        durationMs: Type.Number(),
      }),
    ),
  },
  {
    examples: [
      {
        libraries: [
          {
            serverId: 'plex-home',
            libraryId: '1',
            libraryTitle: 'Movies',
            items: 812,
            sizeBytes: 9.1e12,
            durationMs: 5.3e9,
          },
        ],
      },
    ],
  },
);

export const Distribution = Type.Object(
  {
    by: Type.String({ description: 'resolution, videoCodec, audioCodec or container' }),
    data: Type.Array(Type.Object({ key: Type.String(), items: Type.Integer(), sizeBytes: Type.Number() })),
  },
  { examples: [{ by: 'resolution', data: [{ key: '4k', items: 212, sizeBytes: 1.2e13 }] }] },
);

export const MostWatched = Type.Object(
  {
    items: Type.Array(
      Type.Object({ ...item, servers: Type.Array(Type.String()), plays: Type.Integer(), watchMs: Type.Number() }),
    ),
  },
  { examples: [{ items: [{ ...example, servers: ['plex-home'], plays: 14, watchMs: 79_000_000 }] }] },
);

export const NeverWatched = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        ...item,
        serverId: Type.String(),
        itemId: Type.String(),
        sizeBytes: Type.Number(),
        addedAt: Nullable(Type.String({ description: 'ISO 8601, UTC' })),
      }),
    ),
  },
  {
    examples: [
      {
        items: [
          { ...example, serverId: 'plex-home', itemId: '502', sizeBytes: 4.2e10, addedAt: '2025-03-02T10:11:12.000Z' },
        ],
      },
    ],
  },
);

export const HeldItems = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        ...item,
        servers: Type.Array(Type.String()),
        copies: Type.Integer(),
        sizeBytes: Type.Number({ description: 'Of all the copies together' }),
        items: Type.Array(Type.String({ description: 'server_id:item_id of a copy' })),
      }),
    ),
  },
  {
    examples: [
      {
        items: [
          {
            ...example,
            servers: ['plex-home', 'jf-cabin'],
            copies: 2,
            sizeBytes: 8.4e10,
            items: ['jf-cabin:8c1f', 'plex-home:502'],
          },
        ],
      },
    ],
  },
);

// The warehouse's rows (with `poster` for the image's server and reference) and these answers must
// stay one shape: this fails to compile otherwise.
type Shown<T> = Omit<T, 'imageServer' | 'imageRef'> & { poster: string | null };
type Item<T extends TSchema, K extends string> = Static<T> extends Record<K, Array<infer I>> ? I : never;
const shapesMatch: [
  Same<Item<typeof Libraries, 'libraries'>, Awaited<ReturnType<LibraryQueries['libraries']>>[number]>,
  Same<Item<typeof Distribution, 'data'>, Awaited<ReturnType<LibraryQueries['distribution']>>[number]>,
  Same<Item<typeof MostWatched, 'items'>, Shown<WatchedItem>>,
  Same<Item<typeof NeverWatched, 'items'>, Shown<Awaited<ReturnType<LibraryQueries['neverWatched']>>[number]>>,
  Same<Item<typeof HeldItems, 'items'>, Shown<HeldItem>>,
] = [true, true, true, true, true];
void shapesMatch;
