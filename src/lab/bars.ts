/**
 * Where a timeline bar's duration label goes (run viewer timeline, trace waterfall): right
 * after the bar, or right before it when the bar ends near the track's right edge, so the
 * label never sits on its bar or drifts away from it.
 */
export function durationLabelPlace(leftPct: number, widthPct: number): string {
  const end = leftPct + widthPct;
  return end <= 80 ? `left:calc(${end}% + 4px)` : `right:calc(${100 - leftPct}% + 4px)`;
}
