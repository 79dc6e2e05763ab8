# Everything the bot says in English. Telegram HTML: escape &, < and > in text (&amp; &lt; &gt;); variables arrive
# already escaped where they go into HTML messages. Toasts (callback answers, keys ending in -toast) are plain text.

## Problems with a photo

failed = 😞 Sorry, something went wrong on my side and I could not look at this photo. Please try again in a minute.
failed-other = 😞 Sorry, something went wrong on my side. Please try again in a minute.
bad-image = 😕 I could not read this image — it may be damaged or in a format I do not know. Could you send it again as a photo?
too-large-image = 😕 This image is too large for me to open. Could you send it as a photo instead?
too-small-image = 🔎 This image is too small for me to see a dog in. Could you send a bigger one?
file-too-big = 📦 That file is over 20 MB, which is more than Telegram lets bots download. Could you send it as a photo instead?
photo-too-big = 📦 That photo is over 20 MB, which is more than Telegram lets bots download. Could you send a smaller one?
file-unavailable = 😕 I could not download that photo from Telegram any more. Could you send it again?
photo-expired = 😔 Sorry, I could not reach Telegram for a long while, so I never got to this photo. Could you send it again?
not-an-image-file = 📄 That file is not an image I can read. Send me a photo of a dog as a photo, or as a JPEG, PNG, WebP, GIF or AVIF file.
photos-later = 🐢 That's a lot of photos at once! I'll answer every one, but only { $limit } { $window ->
        [60] a minute
       *[other] every { $window } seconds
    }, so the rest will take a little while. No need to send them again.
photo-skipped = 🐢 That's too many photos at once, so I skipped this one. Send it again in about { $seconds } seconds and I'll answer it.
hint = 📷 Send me a photo of a dog and I will tell you its breed. /help explains more.
group-hint = Reply to a photo with /breed and I will look at it. /breed followed by a name shows a card about that breed.

## Videos (a video, a GIF — Telegram's MP4 "animation" — a round video note, or a video file)

video-too-big = 📦 That video is over 20 MB, which is more than Telegram lets bots download. Could you send a shorter clip, or a photo of the dog?
failed-video = 😞 Sorry, something went wrong on my side and I could not watch this video. Please try again in a minute.
# The last line of an answer read from a video's frames, under the frame shown. $kind: video, animation or video-note.
video-from-frames = 🎬 From { $frames ->
        [one] { $frames } frame
       *[other] { $frames } frames
    } of your { $kind ->
        [animation] GIF
        [video-note] video note
       *[video] video
    }.
video-empty = 😕 That video is empty — there is nothing in it to watch. Could you send it again, or a photo of the dog?
video-not-a-video = 😕 I could not find any picture in that file — it may be sound only, or a video I cannot read. Could you send an MP4 video, or a photo of the dog?
video-no-frames = 😕 I could not read a single frame of that video — it may be damaged or cut short. Could you send it again, or a photo of the dog?
video-too-long = ⏱ That video is longer than { $unit ->
        [minutes] { $count ->
            [one] { $count } minute
           *[other] { $count } minutes
        }
       *[seconds] { $count } seconds
    }, more than I watch: send a shorter clip, or a photo of the dog.
video-too-large = 😕 That video's picture is too large for me to open. Could you send a smaller video, or a photo of the dog?
video-too-heavy = ⏱ That video took me too long to read. Could you send a shorter or smaller clip, or a photo of the dog?
video-no-clear-frame = 🌫 Every frame I looked at in that video was too dark or blurred to see a dog. Could you send a brighter, steadier clip, or a photo?
video-unavailable = 🎬 Sorry, I can't watch videos right now. A photo of the dog works: send me one!
video-file-unavailable = 😕 I could not download that video from Telegram any more. Could you send it again?
video-expired = 😔 Sorry, I could not reach Telegram for a long while, so I never got to this video. Could you send it again?

## The answer

# The answer by how sure it is of its top breed: named plainly (sure), "probably" (likely), or a lead that says it
# cannot tell (unsure: answer-cant-tell, or answer-group-lead when one breed group leads), the top-3 listed in each.
# $initial: the breed name's first letter, for "a" or "an" (a term cannot take it: Fluent passes terms literals only).
answer-top = 🐶 <b><a href="{ $url }">{ $name }</a></b> — { $percent }
answer-top-likely = 🐶 Probably { $initial ->
        [a] an
        [e] an
        [i] an
        [o] an
        [u] an
       *[other] a
    } <b><a href="{ $url }">{ $name }</a></b> — { $percent }
answer-cant-tell = 🤔 I can't tell the breed — maybe a mix, or a breed I don't know. My best guesses:
answer-other = { $rank }. { $name } — { $percent }
answer-mix = 🤔 Could be a mix of { $first } and { $second }.
answer-nothing = 🤷 I could not tell anything about this photo.
not-a-dog = 🙂 I don't see a dog in this photo. If there is one, try a closer, brighter shot of it.
not-a-dog-video = 🙂 I don't see a dog in this video. If there is one, try a closer, brighter clip of it, or a photo.
not-a-dog-guess = If it is a dog, it looks most like a { $name } ({ $percent }).
answer-group-lead = 🤔 Probably { $group }, though I can't tell the breed for sure:
group-lead-fci-1 = a sheepdog or cattle dog (FCI group 1)
group-lead-fci-2 = a pinscher, schnauzer, molossoid or Swiss mountain dog (FCI group 2)
group-lead-fci-3 = a terrier (FCI group 3)
group-lead-fci-4 = a dachshund (FCI group 4)
group-lead-fci-5 = a spitz or primitive-type dog (FCI group 5)
group-lead-fci-6 = a scent hound (FCI group 6)
group-lead-fci-7 = a pointing dog (FCI group 7)
group-lead-fci-8 = a retriever, flushing dog or water dog (FCI group 8)
group-lead-fci-9 = a companion or toy dog (FCI group 9)
group-lead-fci-10 = a sighthound (FCI group 10)
group-lead-akc-hound = a hound (AKC Hound Group)
group-lead-ckc-working = a working dog (Canadian Kennel Club)
group-lead-wild = a wild canid, not a kennel-club breed

## The answer about several dogs (the caption of the photo with numbered boxes; at most 1024 characters)

dogs-intro = 🐶 I see { $count } dogs, numbered from left to right:
dogs-top = { $mark } <b>{ $number }</b> · <b><a href="{ $url }">{ $name }</a></b> — { $percent }
dogs-top-likely = { $mark } <b>{ $number }</b> · probably { $initial ->
        [a] an
        [e] an
        [i] an
        [o] an
        [u] an
       *[other] a
    } <b><a href="{ $url }">{ $name }</a></b> — { $percent }
dogs-top-doubt = { $mark } <b>{ $number }</b> · 🤔 <b><a href="{ $url }">{ $name }</a></b> — { $percent }
dogs-cant-tell = { $mark } <b>{ $number }</b> · 🤔 I can't tell the breed — maybe a mix:
dogs-group-lead = { $mark } <b>{ $number }</b> · 🤔 probably { $group }:
dogs-guesses = {"      "}<b><a href="{ $url }">{ $name }</a></b> — { $percent }
dogs-guess = { $name } — { $percent }
dogs-others = {"      "}or { $guesses }
dogs-mix = {"      "}🤔 could be a mix of { $first } and { $second }
dogs-not-a-dog = { $mark } <b>{ $number }</b> · 🙂 this one may not be a dog
dogs-more = { $count ->
        [one] …and one more I did not name.
       *[other] …and { $count } more I did not name.
    }

## Buttons under an answer, and feedback

button-right = 👍 Right
button-wrong = 👎 Wrong
button-card = ℹ️ { $name }
button-all-breeds = 📋 All breeds
button-back = ↩️ Back
button-dog-right = { $mark } { $number } 👍
button-dog-wrong = { $mark } { $number } 👎
button-not-yours-toast = This button is for the person who asked.
button-owner-unknown-toast = This button is from an older message: send the command again.
feedback-right-toast = Thanks! Glad I got it right.
feedback-wrong-toast = Which breed is it? Tap one below, or type its name.
feedback-wrong-dog-toast = Which breed is dog { $number }? Tap one below, or type its name.
feedback-saved-toast = Thanks! Noted: it's a { $name }.
feedback-expired-toast = This answer is too old for feedback.
feedback-off-toast = Feedback is switched off on this bot.
feedback-typed-saved = ✅ Thanks! Noted: it's a <b>{ $name }</b>. This helps train the next model.
feedback-no-match = 🤔 I don't know a breed called “{ $text }”. Try another spelling, or pick one from the buttons under my answer.
feedback-typed-closest = 🤔 Did you mean { $guesses }? Tap the breed under my answer, or type its name again.

## Breed cards

card-title = ℹ️ <b><a href="{ $url }">{ $name }</a></b>
card-group = Group: { $group }
card-size = Size: { $size }
card-unknown = 🤔 I don't know a breed called “{ $text }”. /breeds lists the { $count } I know.
size-toy = toy
size-small = small
size-medium = medium
size-large = large
size-giant = giant
group-fci-1 = Sheepdogs and Cattle Dogs (FCI group 1)
group-fci-2 = Pinschers and Schnauzers, Molossoids, Swiss Mountain and Cattle Dogs (FCI group 2)
group-fci-3 = Terriers (FCI group 3)
group-fci-4 = Dachshunds (FCI group 4)
group-fci-5 = Spitz and Primitive Types (FCI group 5)
group-fci-6 = Scent Hounds and Related Breeds (FCI group 6)
group-fci-7 = Pointing Dogs (FCI group 7)
group-fci-8 = Retrievers, Flushing Dogs, Water Dogs (FCI group 8)
group-fci-9 = Companion and Toy Dogs (FCI group 9)
group-fci-10 = Sighthounds (FCI group 10)
group-akc-hound = Hounds (AKC; not recognised by the FCI)
group-ckc-working = Working Dogs (Canadian Kennel Club; not recognised by the FCI)
group-wild = A wild canid, not a kennel-club breed

## Commands

start = Hi { $name }! 🐶 Send me a photo of a dog and I'll tell you its three most likely breeds, with how sure I am.

    Send it as a photo or as a file (files keep full quality). Albums work too.
    /breeds lists the { $count } breeds I know. /help says more.
help-how = <b>How to use me</b>
    • Send a photo of a dog (or an image file, or an album). I reply with the three most likely breeds.
    • Videos, GIFs and round video notes work too: I look at a few frames and show the one I was surest of.
    • Under an answer, 👍 or 👎 tell me whether I was right — after 👎, tap the right breed or type its name. ℹ️ shows a card about the breed.
    • In groups, reply to a photo with /breed, or mention me in the photo's caption.
    • /breeds — the { $count } breeds I know; /breed &lt;name&gt; — a card about one of them.
    • /history — your last answers here; tap one to see it again.
    • /language — English or Russian.
help-privacy = <b>Privacy</b>: your photos are not kept. I download each photo only to look at it, then forget it. What I do keep:
help-kept-answers = { $days ->
        [0] • answers: nothing — the answer history is off;
        [one] • each answer (the photo's Telegram file id, the model and its top-3) for { $days } day;
       *[other] • each answer (the photo's Telegram file id, the model and its top-3) for { $days } days;
    }
help-kept-feedback = { $days ->
        [0] • your 👍/👎 feedback: nothing — feedback is off;
        [one] • your 👍/👎 feedback (file id, my answer and your correction) for { $days } day, to train the next model;
       *[other] • your 👍/👎 feedback (file id, my answer and your correction) for { $days } days, to train the next model;
    }
help-kept-language = • your /language choice, until you change it.
help-kept-jobs = Finished jobs (file id and result) stay in the queue for up to { $hours } hours for troubleshooting. /forget deletes all of it now.
help-limits = <b>Limits</b>: up to { $limit } photos { $window ->
        [60] a minute
       *[other] every { $window } seconds
    } per person (more wait their turn), files and videos up to 20 MB.
breeds-page = <b>The { $count } breeds I know</b> (page { $page }/{ $pages }):
previous = ◀️ Previous
next = Next ▶️

## Your last answers (/history)

history-title = 🕘 <b>{ $count ->
        [one] Your last answer here
       *[other] Your last { $count } answers here
    }</b>, newest first:
history-dog = { $number }. 🐶 <b>{ $name }</b> — { $percent } · { $when }
history-no-dog = { $number }. 🙂 no dog seen · { $when }
history-hint = Tap a number to see that answer again. /forget deletes them all.
history-button = { $number }. { $name }
history-no-dog-button = 🙂 no dog
history-empty = 🕘 No answers to show here yet. Send me a photo of a dog!
history-off = 🕘 This bot keeps no answers, so there is none to show again.
history-again = 🕘 My answer, { $when }:
history-just-now = just now
history-gone-toast = That answer is no longer kept.

## Language

language-name = 🇬🇧 English
language-choose = Choose my language:
language-set = ✅ I'll speak English with you now. Send me a photo of a dog!
language-set-toast = English it is.

## Forgetting

forget-confirm = 🗑 Delete everything I keep about you — your answers, your feedback and your language choice? This cannot be undone.
forget-yes = 🗑 Yes, delete
forget-no = Keep it
forget-kept = OK, nothing was deleted.
forget-done = ✅ Done. Deleted { $answers ->
        [one] { $answers } answer
       *[other] { $answers } answers
    }, { $feedback ->
        [one] { $feedback } feedback entry
       *[other] { $feedback } feedback entries
    }, { $jobs ->
        [one] { $jobs } finished job
       *[other] { $jobs } finished jobs
    }{ $language ->
        [yes] , and your language choice
       *[no] {""}
    }. Nothing else about you is kept.

## Admin statistics (/stats)

stats-queue = <b>Queue</b>
stats-queue-counts = waiting { $waiting } · active { $active } · delayed { $delayed } · failed { $failed }
stats-answers = <b>Answers</b> (latency from photo to answer, p50 / p95)
stats-answers-off = <b>Answers</b>: history is off
stats-last-hour = last hour: { $answers } · { $p50 } / { $p95 }
stats-last-day = last day: { $answers } · { $p50 } / { $p95 }
stats-workers = <b>Workers</b>
stats-no-workers = none running

## The command menu (plain text)

command-help = How to use the bot
command-breeds = The breeds it knows
command-breed = A breed card (or reply to a photo)
command-language = English or Russian
command-history = Your last answers, to see again
command-forget = Delete what the bot keeps about you

## /breed with a name that is not clearly one breed: the close ones, as buttons that show their cards
card-closest = 🤔 I don't know a breed called exactly “{ $text }”. Close ones I know:
