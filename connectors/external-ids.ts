// Ids an item has outside its server (IMDb, TMDb, TheTVDB, Plex's metadata agent), written one way
// whatever server reported them: "provider:id". The same film or episode on a Plex and a Jellyfin
// server shares them, which is how library analytics knows it is one item held twice.

const PROVIDERS: Record<string, string> = {
  imdb: 'imdb',
  tmdb: 'tmdb',
  themoviedb: 'tmdb',
  tvdb: 'tvdb',
  thetvdb: 'tvdb',
};

function normalised(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort();
}

/** One Plex guid: imdb://tt1, plex://movie/5d77..., com.plexapp.agents.imdb://tt1?lang=en. */
function plexGuid(guid: string): string | null {
  const match = /^(?:com\.plexapp\.agents\.)?([a-z]+):\/\/([^?]+)/i.exec(guid.trim());
  if (!match) return null;
  const scheme = match[1]!.toLowerCase();
  const id = match[2]!;
  if (scheme === 'plex') return `plex:${id}`;
  const provider = PROVIDERS[scheme];
  return provider ? `${provider}:${id}` : null; // local://, library://, none://: not an outside id
}

/**
 * Plex: the item's `guid` attribute (its metadata agent's id) and its `Guid` elements (listed in a
 * section only with includeGuids=1).
 */
export function plexExternalIds(guid: unknown, guids: unknown): string[] {
  const all = [guid, ...(Array.isArray(guids) ? guids.map((g) => (g as { id?: unknown })?.id) : [])];
  return normalised(all.flatMap((g) => (typeof g === 'string' ? (plexGuid(g) ?? []) : [])));
}

/** Jellyfin/Emby: `ProviderIds` ({"Imdb": "tt1", "Tmdb": "949"}; returned when Fields asks for it). */
export function providerExternalIds(providerIds: unknown): string[] {
  if (!providerIds || typeof providerIds !== 'object') return [];
  return normalised(
    Object.entries(providerIds as Record<string, unknown>).flatMap(([name, id]) => {
      const provider = PROVIDERS[name.toLowerCase()];
      return provider && typeof id === 'string' && id.trim() !== '' ? [`${provider}:${id.trim()}`] : [];
    }),
  );
}
