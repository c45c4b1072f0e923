// Chart options more than one page draws.

/** Plays by hour of day (x) and weekday (y), darker to brighter; `legend` adds the colour scale. */
export function weekHourHeatmap(
  cells: Array<{ dayOfWeek: number | string; hour: number | string; plays: number | string }>,
  weekdays: string[],
  legend: boolean,
) {
  return {
    tooltip: { position: 'top' as const },
    xAxis: { type: 'category' as const, data: Array.from({ length: 24 }, (_, h) => String(h)) },
    yAxis: { type: 'category' as const, data: weekdays },
    visualMap: {
      min: 0,
      max: Math.max(1, ...cells.map((r) => Number(r.plays))),
      show: legend,
      calculable: true,
      orient: 'horizontal' as const,
      left: 'center',
      bottom: 0,
      inRange: { color: ['#0f172a', '#1d4ed8', '#f59e0b'] },
    },
    series: [
      {
        type: 'heatmap' as const,
        // ClickHouse's weekdays run 1 (Monday) to 7 (Sunday); the axis starts on Sunday.
        data: cells.map((r) => [Number(r.hour), Number(r.dayOfWeek) % 7, Number(r.plays)]),
      },
    ],
    grid: legend
      ? { bottom: 60, left: 48, right: 16, top: 16, containLabel: true }
      : { bottom: 24, left: 40, right: 8, top: 8, containLabel: true },
  };
}
