// Shows a meeting time also in the participant's own time zone, when that differs from the meeting's.
// <span data-local-time="ISO start" data-local-time-end="ISO end" data-local-time-zone="Europe/Paris"
//       data-local-time-label="Your time: {time} ({zone})" data-locale="en-GB" hidden></span>
"use strict";

(() => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  const wallClock = (date, locale, timeZone) => {
    // Western digits in every language, Arabic included, as the server's own formats write them.
    const numberingSystem = "latn";
    const day = new Intl.DateTimeFormat(locale, { day: "numeric", month: "long", year: "numeric", timeZone, numberingSystem });
    const time = new Intl.DateTimeFormat(locale, {
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone,
      numberingSystem,
    });
    return { day: day.format(date), time: time.format(date) };
  };

  document.querySelectorAll("[data-local-time]").forEach((element) => {
    const data = element.dataset;
    const start = new Date(data.localTime);
    if (!zone || Number.isNaN(start.getTime()) || zone === data.localTimeZone) return;
    const locale = data.locale || document.documentElement.lang || undefined;
    const here = wallClock(start, locale, zone);
    const there = wallClock(start, locale, data.localTimeZone);
    // A zone of another name with the same clock (Berlin when the meeting is in Paris) adds nothing.
    if (here.day === there.day && here.time === there.time) return;
    let text = `${here.day}, ${here.time}`;
    const end = data.localTimeEnd ? new Date(data.localTimeEnd) : null;
    if (end && !Number.isNaN(end.getTime())) {
      const until = wallClock(end, locale, zone);
      text += until.day === here.day ? `–${until.time}` : ` – ${until.day}, ${until.time}`;
    }
    element.textContent = (data.localTimeLabel || "{time} ({zone})")
      .replace("{time}", text)
      .replace("{zone}", zone);
    element.hidden = false;
  });
})();
