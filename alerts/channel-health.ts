// Channels whose last message could not be delivered. Such a channel gets one attempt a message,
// not the whole back-off, until one gets through: a notifier waits for every delivery of a batch
// before reading the next, so a dead webhook retried in full (about 31 s) would hold up every
// other channel's messages behind it. Per process; a restart starts trusting channels again.
export class ChannelHealth {
  private readonly failing = new Map<string, number>();

  /** Since when the channel's messages fail, or undefined. */
  failingSince(channelId: string): number | undefined {
    return this.failing.get(channelId);
  }

  /** Records a delivery's outcome; true when this one turned the channel failing. */
  record(channelId: string, delivered: boolean, now = Date.now()): boolean {
    if (delivered) {
      this.failing.delete(channelId);
      return false;
    }
    if (this.failing.has(channelId)) return false;
    this.failing.set(channelId, now);
    return true;
  }
}
