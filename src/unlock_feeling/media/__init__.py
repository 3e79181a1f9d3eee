"""Media stage: probe an input file and decode its audio and frames in-process with PyAV."""

from unlock_feeling.media.decode import MediaInfo, iter_frames, load_audio, load_image, probe

__all__ = ["MediaInfo", "iter_frames", "load_audio", "load_image", "probe"]
