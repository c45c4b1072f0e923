// Where the dashboard gets a play's poster: the image proxy's address for its reference (the
// reference itself stays a server's term, and the token stays on the API's side).
export function posterUrl(serverId: string, imageRef: string | null | undefined): string | null {
  return imageRef ? `/api/v1/servers/${encodeURIComponent(serverId)}/image?ref=${encodeURIComponent(imageRef)}` : null;
}

/** The play with `poster` in place of its raw `imageRef`. */
export function withPoster<T extends { serverId: string; imageRef: string }>(
  play: T,
): Omit<T, 'imageRef'> & { poster: string | null } {
  const { imageRef, ...rest } = play;
  return { ...rest, poster: posterUrl(play.serverId, imageRef) };
}

/** A library item with `poster` in place of the server and reference its copy's poster has. */
export function withItemPoster<T extends { imageServer: string; imageRef: string }>(
  item: T,
): Omit<T, 'imageServer' | 'imageRef'> & { poster: string | null } {
  const { imageServer, imageRef, ...rest } = item;
  return { ...rest, poster: posterUrl(imageServer, imageRef) };
}
