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
