// sound.mjs: the packing station's feedback for the ear: a short high beep when a unit is packed,
// a low double buzz when a scan is refused. WebAudio starts only after a user gesture (the scan's
// Enter is one); where it cannot, the station stays silent and still shows the result.
let ctx = null;

function tone(freq, start, length, type) {
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = type;
  osc.frequency.value = freq;
  gain.gain.setValueAtTime(0.2, ctx.currentTime + start);
  gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + start + length);
  osc.connect(gain).connect(ctx.destination);
  osc.start(ctx.currentTime + start);
  osc.stop(ctx.currentTime + start + length);
}

/** Plays 'ok' or 'refused'; returns the kind played, or null when there is no audio. */
export function beep(kind) {
  try {
    ctx ??= new AudioContext();
    if (ctx.state === 'suspended') ctx.resume();
    if (kind === 'ok') tone(1320, 0, 0.09, 'sine');
    else {
      tone(220, 0, 0.14, 'square');
      tone(220, 0.2, 0.14, 'square');
    }
    return kind;
  } catch {
    return null;
  }
}
