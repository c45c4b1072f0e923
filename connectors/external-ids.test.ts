import { describe, expect, it } from 'vitest';
import { plexExternalIds, providerExternalIds } from './external-ids.ts';

describe('outside ids, one spelling for every server', () => {
  it('reads Plex Guid elements, new-agent guids and legacy agent guids; ignores local and library ones', () => {
    expect(
      plexExternalIds('plex://movie/5d776be17a53e9001e732ab9', [
        { id: 'imdb://tt1160419' },
        { id: 'tmdb://438631' },
        { id: 'tvdb://12345' },
      ]),
    ).toEqual(['imdb:tt1160419', 'plex:movie/5d776be17a53e9001e732ab9', 'tmdb:438631', 'tvdb:12345']);
    expect(plexExternalIds('com.plexapp.agents.imdb://tt0113277?lang=en', undefined)).toEqual(['imdb:tt0113277']);
    expect(plexExternalIds('com.plexapp.agents.themoviedb://949?lang=en', null)).toEqual(['tmdb:949']);
    expect(plexExternalIds('local://5001', [{ id: 'imdb://tt1' }, { id: 'imdb://tt1' }])).toEqual(['imdb:tt1']);
    expect(plexExternalIds('library://f00d/item/x', 'not a list')).toEqual([]);
  });

  it('reads Jellyfin/Emby ProviderIds whatever their casing; ignores unknown providers and blanks', () => {
    expect(providerExternalIds({ Imdb: 'tt2543164', Tmdb: '329865', TvdbCollection: 'x', Tvdb: ' ' })).toEqual([
      'imdb:tt2543164',
      'tmdb:329865',
    ]);
    expect(providerExternalIds({ IMDB: 'tt1', tvdb: '77' })).toEqual(['imdb:tt1', 'tvdb:77']);
    expect(providerExternalIds({ 'prerolls.video': 'p1' })).toEqual([]);
    expect(providerExternalIds(null)).toEqual([]);
  });
});
